#include "kv/fault_injection.h"

#include <cstdlib>

namespace kvr {

bool faultInjected(std::string_view fault) {
  const char* value = std::getenv("KVRECYCLE_FAULT");
  if (value == nullptr) return false;
  std::string_view list(value);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (list.substr(0, comma) == fault) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace kvr
