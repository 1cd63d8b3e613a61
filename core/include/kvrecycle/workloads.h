#pragma once
// Synthetic prompt sets with controlled overlap, to show what recycling buys:
//   shared-prefix - one long shared prefix of about prefixTokens tokens; cache
//                   prompts are the prefix plus a question, test prompts the
//                   prefix plus other questions of about suffixTokens tokens,
//                   plus one prompt that shares nothing;
//   dialogue      - multi-turn conversations: every test prompt is a cached
//                   turn extended by one more exchange (DialoGPT separators);
//   conversation  - for online runs: `sessions` conversations of `turns` turns,
//                   interleaved (turn 1 of every session, then turn 2, ...), no
//                   cache set; each turn's prompt (id s<S>-t<T>) is the session's
//                   history (user turns and canned replies) plus a new user turn,
//                   each followed by <|endoftext|>. A history longer than
//                   maxPromptTokens loses its oldest exchanges.
#include <cstdint>
#include <string>
#include <vector>

#include "kvrecycle/prompt_set.h"

namespace kvr {

class Gpt2Tokenizer;

struct WorkloadOptions {
  std::string kind = "shared-prefix";
  int prefixTokens = 480;
  int suffixTokens = 32;
  int count = 8;              // test prompts (shared-prefix) or conversations (dialogue)
  int turns = 4;              // dialogue turns per conversation
  int sessions = 4;           // conversation sessions
  int maxPromptTokens = 992;  // conversation: a model context of 1024 less 32 new tokens
  uint64_t seed = 0;
};

struct Workload {
  PromptSet cache;
  PromptSet test;
  int truncatedPrompts = 0;  // conversation: prompts whose oldest exchanges were dropped
  int droppedTurns = 0;      // and how many exchanges in all
};

std::vector<std::string> workloadKinds();

// Deterministic pseudo-random token ids below vocab - 1 (never <|endoftext|>)
// for benchmarks: timing does not depend on the text.
std::vector<int> syntheticTokenIds(int length, int vocab, uint64_t seed = 0x2545F4914F6CDD1Dull);
// Deterministic for a seed. Throws kvr::Error for an unknown kind or bad sizes.
Workload makeWorkload(const Gpt2Tokenizer& tokenizer, const WorkloadOptions& options);

}  // namespace kvr
