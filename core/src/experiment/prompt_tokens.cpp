#include "experiment/prompt_tokens.h"

#include "kvrecycle/error.h"

namespace kvr {

std::string promptPlace(const PromptSet& set, const Prompt& prompt) {
  return set.source + ":" + std::to_string(prompt.line) + ": prompt '" + prompt.id + "'";
}

std::vector<int> tokenizeFor(const Model& model, const PromptSet& set, const Prompt& prompt,
                             const std::string& tmpl, const std::string& text) {
  try {
    return model.tokenizer().encode(applyPromptTemplate(tmpl, text));
  } catch (const Error& e) {
    throw Error(promptPlace(set, prompt) + ": " + e.what());
  }
}

void requireFits(const Model& model, const PromptSet& set, const Prompt& prompt, size_t tokens,
                 int newTokens) {
  if (tokens == 0) throw Error(promptPlace(set, prompt) + ": has no tokens");
  const int context = model.config().nPositions;
  // The last new token is never fed back, so it needs no position.
  const int needed = static_cast<int>(tokens) + (newTokens > 0 ? newTokens - 1 : 0);
  if (needed > context) {
    throw Error(promptPlace(set, prompt) + ": " + std::to_string(tokens) + " tokens" +
                (newTokens > 0 ? " plus " + std::to_string(newTokens) + " new tokens" : "") +
                " exceed the model's context of " + std::to_string(context));
  }
}

}  // namespace kvr
