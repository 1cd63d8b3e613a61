#pragma once
// A prompt of a set as the model sees it, with errors that name the file,
// line and prompt id: shared by recycling runs and eviction runs.
#include <string>
#include <vector>

#include "kvrecycle/model.h"
#include "kvrecycle/prompt_set.h"

namespace kvr {

// "FILE:LINE: prompt 'ID'"
std::string promptPlace(const PromptSet& set, const Prompt& prompt);

// Tokens of `text` (the prompt's, or another text of it) after `tmpl`; throws
// kvr::Error naming the prompt when tokenizing fails.
std::vector<int> tokenizeFor(const Model& model, const PromptSet& set, const Prompt& prompt,
                             const std::string& tmpl, const std::string& text);

// Throws unless `tokens` prompt tokens plus `newTokens` generated ones
// (0: none, a cache prompt) fit the model's context, and the prompt has tokens.
void requireFits(const Model& model, const PromptSet& set, const Prompt& prompt, size_t tokens,
                 int newTokens);

}  // namespace kvr
