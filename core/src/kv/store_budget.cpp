#include "kvrecycle/store_budget.h"

#include <cmath>
#include <cstdlib>

#include "kvrecycle/error.h"

namespace kvr {

const char* evictionPolicyName(EvictionPolicy policy) {
  switch (policy) {
    case EvictionPolicy::Lfu:
      return "lfu";
    case EvictionPolicy::Value:
      return "value";
    case EvictionPolicy::Lru:
      break;
  }
  return "lru";
}

EvictionPolicy parseEvictionPolicy(const std::string& name) {
  if (name == "lru") return EvictionPolicy::Lru;
  if (name == "lfu") return EvictionPolicy::Lfu;
  if (name == "value") return EvictionPolicy::Value;
  throw Error("unknown eviction policy '" + name + "' (expected lru, lfu or value)");
}

std::vector<std::string> evictionPolicyNames() {
  return {"lru", "lfu", "value"};
}

int64_t parseByteSize(const std::string& text) {
  if (text == "none") return 0;
  const auto bad = [&text]() {
    return Error("'" + text + "' is not a byte size (e.g. 65536, 512K, 64M, 1.5G or none)");
  };
  if (text.empty()) throw bad();
  double scale = 1;
  std::string number = text;
  switch (text.back()) {
    case 'K':
    case 'k':
      scale = 1024.0;
      break;
    case 'M':
    case 'm':
      scale = 1024.0 * 1024.0;
      break;
    case 'G':
    case 'g':
      scale = 1024.0 * 1024.0 * 1024.0;
      break;
    default:
      break;
  }
  if (scale != 1) number.pop_back();
  if (number.empty() || number.find_first_not_of("0123456789.") != std::string::npos) throw bad();
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (end == nullptr || *end != '\0' || !std::isfinite(value)) throw bad();
  const double bytes = std::floor(value * scale);
  if (bytes > 9.0e18) throw Error("byte size '" + text + "' is too large");
  return static_cast<int64_t>(bytes);
}

}  // namespace kvr
