#pragma once
// Eviction methods, their settings and what one method did on one prompt:
// the vocabulary shared by the engine (kvrecycle/eviction.h), the run store
// and the views, without the model.
#include <cstdint>
#include <optional>
#include <string>

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

// One stored row of an eviction run: a method at a budget on one prompt.
struct EvictionResultRow {
  int promptIndex = 0;
  std::string promptId;
  EvictionMethod method = EvictionMethod::Full;
  int budget = 0;  // 0 for full
  int promptTokens = 0;
  int newTokens = 0;
  EvictionFidelity fidelity;
};

}  // namespace kvr
