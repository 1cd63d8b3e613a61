// Prompt templates: "{prompt}" exactly once, replaced by the prompt text.
#include "kvrecycle/error.h"
#include "kvrecycle/prompt_set.h"
#include "prompts/prompt_text.h"

namespace kvr {
namespace {

constexpr std::string_view kPlaceholder = "{prompt}";

}  // namespace

void validatePromptTemplate(const std::string& tmpl) {
  size_t count = 0;
  for (size_t pos = tmpl.find(kPlaceholder); pos != std::string::npos;
       pos = tmpl.find(kPlaceholder, pos + kPlaceholder.size())) {
    ++count;
  }
  if (count != 1) {
    throw Error("prompt template '" + prompts::excerpt(tmpl) +
                "' must contain {prompt} exactly once (found " + std::to_string(count) + ")");
  }
}

std::string applyPromptTemplate(const std::string& tmpl, const std::string& prompt) {
  validatePromptTemplate(tmpl);
  const size_t pos = tmpl.find(kPlaceholder);
  std::string out;
  out.reserve(tmpl.size() - kPlaceholder.size() + prompt.size());
  out.append(tmpl, 0, pos);
  out += prompt;
  out.append(tmpl, pos + kPlaceholder.size());
  return out;
}

}  // namespace kvr
