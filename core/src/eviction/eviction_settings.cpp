#include <array>
#include <utility>

#include "kvrecycle/error.h"
#include "kvrecycle/eviction.h"

namespace kvr {
namespace {

constexpr std::array<std::pair<EvictionMethod, const char*>, 5> kMethods{{
    {EvictionMethod::Full, "full"},
    {EvictionMethod::Window, "window"},
    {EvictionMethod::Snap, "snap"},
    {EvictionMethod::Heavy, "heavy"},
    {EvictionMethod::Chunked, "chunked"},
}};

constexpr std::array<std::pair<EvictionScope, const char*>, 2> kScopes{{
    {EvictionScope::PerHead, "head"},
    {EvictionScope::PerLayer, "layer"},
}};

template <typename Enum, size_t N>
const char* nameOf(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

template <typename Enum, size_t N>
std::optional<Enum> parse(const std::array<std::pair<Enum, const char*>, N>& table,
                          const std::string& text) {
  for (const auto& [e, name] : table) {
    if (text == name) return e;
  }
  return std::nullopt;
}

}  // namespace

const char* evictionMethodName(EvictionMethod method) {
  return nameOf(kMethods, method);
}
std::optional<EvictionMethod> parseEvictionMethod(const std::string& name) {
  return parse(kMethods, name);
}
const char* evictionScopeName(EvictionScope scope) {
  return nameOf(kScopes, scope);
}
std::optional<EvictionScope> parseEvictionScope(const std::string& name) {
  return parse(kScopes, name);
}

void EvictionSettings::validate() const {
  const std::string what = std::string("eviction method ") + evictionMethodName(method) + ": ";
  if (method == EvictionMethod::Full) return;
  if (budget < 1) throw Error(what + "the budget must be at least 1 entry per head");
  if (method == EvictionMethod::Window && (sinks < 0 || sinks >= budget)) {
    throw Error(what + "sinks (" + std::to_string(sinks) + ") must be at least 0 and below the " +
                "budget (" + std::to_string(budget) + ")");
  }
  if (recent < 0 || recentWindow() > budget) {
    throw Error(what + "the recent window (" + std::to_string(recentWindow()) +
                ") must fit the budget (" + std::to_string(budget) + ")");
  }
  if ((method == EvictionMethod::Snap || method == EvictionMethod::Chunked) && observation < 1) {
    throw Error(what + "the observation window must be at least 1 query");
  }
  if (method == EvictionMethod::Chunked && chunk < 1) {
    throw Error(what + "the chunk must be at least 1 token");
  }
}

std::string EvictionSettings::label() const {
  if (method == EvictionMethod::Full) return "full";
  return std::string(evictionMethodName(method)) + "@" + std::to_string(budget);
}

}  // namespace kvr
