#pragma once
// A byte budget on the K/V store and the policies that choose what to evict
// when an admission would pass it (GUIDE §7).
#include <cstdint>
#include <string>
#include <vector>

namespace kvr {

// lru   - the entry used least recently goes first;
// lfu   - the entry used least often (admission counts as one use) goes first;
// value - the entry with the least expected prefill seconds saved per byte goes
//         first (see kv/store_ledger.h for the estimate).
enum class EvictionPolicy { Lru, Lfu, Value };
const char* evictionPolicyName(EvictionPolicy policy);        // "lru", "lfu", "value"
EvictionPolicy parseEvictionPolicy(const std::string& name);  // throws kvr::Error when unknown
std::vector<std::string> evictionPolicyNames();

// A store budget that leaves the store's persisted budget as it is.
inline constexpr int64_t kKeepStoreBudget = -1;

// "1048576", "512K", "64M", "1.5G" (binary multiples, K = 1024); "0" or
// "none" = no budget. Throws kvr::Error naming the text when it is not a size.
int64_t parseByteSize(const std::string& text);

}  // namespace kvr
