#pragma once
// Times the two arms of one prompt the way a measuring instrument must
// (README: "How a reading is judged"): baseline (full prefill) and recycled (reused prefix
// loaded, the rest prefilled), each on its own K/V buffer poisoned with NaN
// before every run, so nothing one arm computed is reachable by the other;
// the arms' order alternates A B B A across repeats; a repeat whose two decode
// times disagree (identical outputs decode the same work) was disturbed by the
// machine and is measured again, up to a limit.
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/experiment.h"
#include "kvrecycle/generation.h"

namespace kvr {

class KVCache;
class Model;

struct ArmTiming {
  double loadSeconds = 0;
  double prefillSeconds = 0;  // prefill of the computed tokens, including the first token
  double decodeSeconds = 0;
  double ttft() const { return loadSeconds + prefillSeconds; }
  double total() const { return loadSeconds + prefillSeconds + decodeSeconds; }
};

struct RepeatPair {
  ArmTiming baseline, recycled;
  bool comparable = false;  // identical outputs of >= 2 tokens: decode times must agree
  double decodeRatio = 1;   // recycled / baseline decode time (when comparable)
  bool disturbed = false;
};

struct PairedMeasurement {
  std::vector<RepeatPair> pairs;  // the kept measured repeats, in order
  // The first measured run of each arm: output tokens and first-step logits.
  GenerationResult baselineFirst, recycledFirst;
  int reuse = 0;               // positions actually loaded (0 after a fallback)
  std::string fallbackReason;  // why the load failed and the arm fell back to a full prefill
  int remeasured = 0;          // disturbed repeats that were measured again
  bool cancelled = false;
};

// Fills the empty recycled cache with the reused prefix and returns the seconds
// the load took (device synchronized); throws kvr::Error when it cannot.
using PrefixLoader = std::function<double(KVCache& cache)>;

// Runs warmup + repeats pairs (plus re-measurements). With reuse == 0 the
// recycled arm is a second full prefill: the same work, measured the same way.
// A failing loader turns the measurement into reuse 0 with the reason recorded.
PairedMeasurement measurePairs(const Model& model, const std::vector<int>& tokens,
                               const GenerationOptions& options, int warmup, int repeats,
                               const NoiseSettings& noise, int reuse, const PrefixLoader& loader,
                               KVCache& baselineCache, KVCache& recycledCache);

}  // namespace kvr
