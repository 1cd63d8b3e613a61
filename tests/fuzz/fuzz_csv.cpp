// libFuzzer harness: prompt CSV parsing (kvr::parsePromptCsv, on bytes in
// memory and streamed). Any input must either parse into a sane prompt set or
// throw kvr::Error, the same from both readers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>

#include "kvrecycle/error.h"
#include "kvrecycle/prompt_set.h"

namespace {

bool isBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos;
}

// The streaming reader (used for files) must agree with the in-memory one.
void checkStreamAgrees(std::string_view bytes, const kvr::PromptSet* set, const char* error) {
  std::istringstream in{std::string(bytes)};
  try {
    const kvr::PromptSet streamed = kvr::parsePromptCsv(in, "fuzz");
    if (set == nullptr || streamed.prompts.size() != set->prompts.size()) std::abort();
    for (size_t i = 0; i < streamed.prompts.size(); ++i) {
      const kvr::Prompt& a = streamed.prompts[i];
      const kvr::Prompt& b = set->prompts[i];
      if (a.id != b.id || a.text != b.text || a.line != b.line) std::abort();
    }
  } catch (const kvr::Error& e) {
    if (set != nullptr || std::string(e.what()) != error) {
      std::fprintf(stderr, "stream: %s\nmemory: %s\n", e.what(), set ? "(parsed)" : error);
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  kvr::PromptSet set;
  try {
    set = kvr::parsePromptCsv(bytes, "fuzz");
  } catch (const kvr::Error& e) {
    checkStreamAgrees(bytes, nullptr, e.what());
    return 0;
  }
  checkStreamAgrees(bytes, &set, nullptr);
  // What the parser promises for a set it accepts.
  if (set.source != "fuzz" || set.prompts.empty()) std::abort();
  std::unordered_set<std::string> ids;
  int lastLine = 0;
  for (const kvr::Prompt& p : set.prompts) {
    if (isBlank(p.text) || isBlank(p.id)) std::abort();
    if (p.text.size() > size || p.line < 1 || p.line < lastLine) std::abort();
    if (!ids.insert(p.id).second) std::abort();
    lastLine = p.line;
  }
  return 0;
}
