#pragma once
// K/V eviction inside one generation, judged by its KV footprint (GUIDE §7,
// arXiv 2506.17121): which cached entries a method keeps, how many entries it
// holds over the steps of a generation, and what that costs in fidelity
// against the full cache.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kvrecycle/model.h"

namespace kvr {

enum class EvictionMethod {
  Full,     // the reference: nothing evicted
  Window,   // keep `sinks` initial tokens plus the most recent ones (StreamingLLM)
  Snap,     // after prefill keep the prompt tokens the last queries attend to most (SnapKV)
  Heavy,    // at every step keep the most attended-to tokens so far plus a recent window (H2O)
  Chunked,  // prefill in chunks, Snap's selection between chunks: a lower peak
};
const char* evictionMethodName(EvictionMethod method);  // "full", "window", ...
std::optional<EvictionMethod> parseEvictionMethod(const std::string& name);

// Whether a layer's heads choose their kept tokens each for itself, or share one choice.
enum class EvictionScope { PerHead, PerLayer };
const char* evictionScopeName(EvictionScope scope);  // "head", "layer"
std::optional<EvictionScope> parseEvictionScope(const std::string& name);

struct EvictionSettings {
  EvictionMethod method = EvictionMethod::Full;
  int budget = 0;        // live entries kept per layer and head (unused by Full)
  int sinks = 4;         // Window: initial tokens always kept
  int recent = 0;        // Snap/Heavy/Chunked: most recent tokens always kept; 0 = budget / 4
  int observation = 16;  // Snap/Chunked: the last queries whose attention scores the tokens
  int chunk = 64;        // Chunked: prefill chunk length in tokens
  EvictionScope scope = EvictionScope::PerHead;

  int recentWindow() const { return recent > 0 ? recent : budget / 4; }
  // Throws kvr::Error naming the setting that cannot work.
  void validate() const;
  std::string label() const;  // e.g. "heavy@128"
};

// One pass of a model over a prompt and its continuation under eviction.
struct EvictedPass {
  std::vector<int> outputIds;                  // generated tokens, or the reference fed
  std::vector<std::vector<float>> stepLogits;  // the logits before each output token
  // KV footprint: over every token step, the live entries (token x layer x
  // head) that step's query could attend to; prefill counts token by token.
  int64_t footprint = 0;
  int64_t peakEntries = 0;  // the most live entries held at once
};

// Greedy generation of exactly `newTokens` tokens (end-of-text does not stop
// it, so every method runs the same number of steps). keepLogits keeps each step's logits.
EvictedPass generateEvicted(const Model& model, const std::vector<int>& prompt,
                            const EvictionSettings& settings, int newTokens, bool keepLogits);

// Teacher forcing: feeds `reference` after the prompt and keeps the logits that predict each
// of its tokens.
EvictedPass forceEvicted(const Model& model, const std::vector<int>& prompt,
                         const EvictionSettings& settings, const std::vector<int>& reference);

// A method's result on one prompt, against the full cache on the same prompt.
struct EvictionFidelity {
  double footprintRatio = 1;  // footprint / full's footprint
  int64_t footprint = 0;
  int64_t peakEntries = 0;
  int64_t peakBytes = 0;      // peak entries x K and V x head size x 4 bytes
  double tokenAgreement = 1;  // fraction of greedy tokens equal to full's, position by position
  int firstDivergence = -1;   // first greedy position that differs; -1 when none does
  double meanLogitDiff = 0;   // mean |logit - full's logit| under teacher forcing
  double maxLogitDiff = 0;    // largest such difference
  double nll = 0;             // mean negative log-likelihood of the reference, nats per token
  double nllDelta = 0;        // nll - full's nll
};

struct EvictionReference {
  EvictedPass greedy;  // full's greedy output and footprint
  EvictedPass forced;  // full's logits along the reference
  double nll = 0;
};

// `reference`: the continuation to score; empty = full's own greedy output.
EvictionReference evictionReference(const Model& model, const std::vector<int>& prompt,
                                    int newTokens, const std::vector<int>& reference);

EvictionFidelity evaluateEviction(const Model& model, const std::vector<int>& prompt,
                                  const EvictionSettings& settings, const EvictionReference& full);

}  // namespace kvr
