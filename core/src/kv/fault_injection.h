#pragma once
// Documented fault injection, for proving that checks can fail. The environment
// variable KVRECYCLE_FAULT holds a comma-separated list of faults:
//   skip-kv-copy  every K/V load copies nothing while reporting success (a
//                 silent storage bug); exactness checks must then fail.
// Unset or empty: no fault. Read on every call, so tests may set it at run time.
#include <string_view>

namespace kvr {

bool faultInjected(std::string_view fault);

}  // namespace kvr
