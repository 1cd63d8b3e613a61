#pragma once
// Plain records of an experiment: what a run was, what each prompt measured,
// and what the K/V store holds. Shared by the runner, the run store, the CLI
// and the GUI; no torch, no Qt.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace kvr {

enum class RunStatus { Running, Completed, Cancelled, Failed, Interrupted };
const char* runStatusName(RunStatus status);        // "running", "completed", ...
RunStatus parseRunStatus(const std::string& name);  // throws kvr::Error when unknown

// The K/V store's resident bytes at one moment of a run: `seconds` since the
// run started; `unboundedBytes` is what a store without a budget would hold at
// the same moment (the same admissions, nothing evicted).
struct StoreSample {
  double seconds = 0;
  int64_t residentBytes = 0;
  int64_t unboundedBytes = 0;
  std::string event;  // "start", "admit", "evict", "truncate", "prompt"
};

// One test prompt's baseline vs recycled measurement. Times are medians over
// the run's repeats, in seconds; *Iqr* fields are interquartile ranges.
struct PromptResult {
  int index = 0;  // position in the test prompt set, from 0
  std::string promptId;
  std::string promptText;     // as given in the CSV (before the template)
  int promptTokens = 0;       // m: tokens fed to the model (after the template)
  int reusedTokens = 0;       // k: positions whose K/V were loaded, not computed
  std::string cachedEntryId;  // K/V entry used ("" when none)
  std::string cachedPromptId;
  std::string cachedPromptText;
  double promptSimilarity = 0;  // embedder cosine of test vs chosen cached prompt

  double kvLoadSeconds = 0;
  double kvLoadIqrSeconds = 0;
  std::string kvPageCache;  // "warm", "cold", "cold-failed" (drop had no effect); "" = no load
  double baselineTtftSeconds = 0;  // prefill incl. first token
  double baselineTtftIqrSeconds = 0;
  double baselineDecodeSeconds = 0;
  double baselineDecodeIqrSeconds = 0;
  double baselineTotalSeconds = 0;
  double baselineTotalIqrSeconds = 0;
  double recycledPrefillSeconds = 0;  // prefill of the m - k new tokens incl. first token
  double recycledTtftSeconds = 0;     // kv load + recycled prefill
  double recycledTtftIqrSeconds = 0;
  double recycledDecodeSeconds = 0;
  double recycledDecodeIqrSeconds = 0;
  double recycledTotalSeconds = 0;
  double recycledTotalIqrSeconds = 0;
  // Lower bound on the recycled TTFT: the baseline's TTFT scaled to m - k tokens, plus the load.
  double idealRecycledTtftSeconds = 0;

  int baselineTokensGenerated = 0;
  int recycledTokensGenerated = 0;
  // End-to-end: median over repeats of (L_base - L_rec) / L_base * 100, each
  // repeat's two arms measured back to back; speedupIqrPct is its spread.
  double speedupPct = 0;
  double speedupIqrPct = 0;
  double ttftSpeedup = 1;  // baseline TTFT / recycled TTFT (x), medians

  // Noise control: repeats kept, repeats measured again because their decode
  // times disagreed, repeats still disturbed, and the largest |decode ratio - 1|.
  int measuredRepeats = 0;
  int remeasuredRepeats = 0;
  int disturbedRepeats = 0;
  double maxDecodeAsymmetry = 0;
  bool noisy = false;       // a reading the instrument cannot back (see noiseReason)
  std::string noiseReason;  // "" unless noisy

  // Exactness is tested only where K/V were reused (k > 0): otherwise both arms
  // ran the same full prefill. exactMatch needs identical tokens and finite logits.
  bool exactMatch = false;
  int firstDivergence = -1;     // first differing output position, -1 when identical
  double maxLogitDiff = 0;      // max |logit difference| on the first step; NaN if not finite
  double outputSimilarity = 0;  // embedder cosine of the two output texts
  std::string fallbackReason;   // why recycling fell back to a full prefill ("" if it did not)

  bool exactnessTested() const { return reusedTokens > 0; }

  // Conversations and the store under a budget (schema 4).
  std::string session;          // conversation session ("" when not a conversation)
  int turn = 0;                 // turn in the session, from 1 (0 when not a conversation)
  int historyDroppedTurns = 0;  // oldest turns dropped so that the history fits the context
  std::string storeAdmission;   // online mode: admitted, present, skipped, refused: why; "" offline
  int64_t residentBytes = 0;    // K/V store bytes once the prompt (and its admission) was done
  std::vector<StoreSample> storeSamples;  // resident bytes sampled since the previous prompt

  // The cost model (schema 5; run --cost-model on): before recycling, the
  // predicted TTFT of both paths; "recycle" or "decline" ("" when the cost
  // model was off or there was nothing to reuse). A declined prompt runs a full
  // prefill in both arms, and the recycled path it declined is timed on its own
  // (load + prefill of the rest, median of the repeats) so the decision can be judged.
  std::string costDecision;
  int costPlannedReuse = 0;  // k the planner offered
  double predictedBaselineTtftSeconds = std::numeric_limits<double>::quiet_NaN();
  double predictedRecycledTtftSeconds = std::numeric_limits<double>::quiet_NaN();
  double declinedRecycledTtftSeconds = std::numeric_limits<double>::quiet_NaN();
  // The decision agreed with the path measured faster (meaningful when decided).
  bool costModelRight = false;
  // The measured TTFT of the recycled path the cost model weighed (NaN when it did not).
  double measuredRecycledPathTtftSeconds() const {
    if (costDecision == "recycle") return recycledTtftSeconds;
    if (costDecision == "decline") return declinedRecycledTtftSeconds;
    return std::numeric_limits<double>::quiet_NaN();
  }

  std::vector<int> baselineOutputIds;
  std::vector<int> recycledOutputIds;
  std::string baselineOutput;
  std::string recycledOutput;
};

// A two-sided 95 % interval; NaN bounds when it could not be computed.
struct Interval95 {
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
  bool valid() const { return !std::isnan(low) && !std::isnan(high); }
};

// The study's summary table plus exactness, TTFT and the uncertainty of each
// average (seeded bootstrap over prompts, so the same results give the same interval).
struct RunSummary {
  int prompts = 0;         // prompts with a stored result
  int plannedPrompts = 0;  // test prompts the run set out to measure (0 = unknown)
  int cacheHits = 0;       // prompts that reused K/V (k > 0, no fallback)
  int reusedPrompts = 0;   // = cacheHits: the prompts whose exactness was tested
  int exactReused = 0;     // of those, the exact ones
  int64_t tokensReused = 0;
  double avgSpeedupPct = 0;
  double avgSpeedupWithCachePct = 0;
  double avgSpeedupWithoutCachePct = 0;
  double avgOutputSimilarity = 0;
  double avgPromptSimilarity = 0;
  int highSimilarityPrompts = 0;  // prompt similarity > 0.8
  double latencyBaselineAvgSeconds = 0;
  double latencyRecycledAvgSeconds = 0;
  // exactReused / reusedPrompts; NaN (JSON null) when no prompt reused anything.
  double exactMatchRate = std::numeric_limits<double>::quiet_NaN();
  double avgTtftSpeedup = 0;
  // Least-squares fit of S = alpha * k/m through the origin, over the prompts
  // that are not noisy; R^2 against their mean.
  double alpha = 0;
  double alphaR2 = std::numeric_limits<double>::quiet_NaN();
  int fallbacks = 0;
  int noisyPrompts = 0;
  Interval95 avgSpeedupCi95, avgSpeedupWithCacheCi95, avgSpeedupWithoutCacheCi95;
  Interval95 avgTtftSpeedupCi95, alphaCi95;
  // The K/V footprint (GUIDE §7) from the prompts' store samples: resident
  // bytes integrated over the run's seconds, and the same for an unbounded
  // store on the same timeline (footprintRatio = the first over the second).
  int64_t peakResidentBytes = 0;
  double footprintByteSeconds = 0;
  double unboundedFootprintByteSeconds = 0;
  double footprintRatio = std::numeric_limits<double>::quiet_NaN();
  double ttftSavedSeconds = 0;  // sum over prompts of baseline TTFT - recycled TTFT
  double hitRate = std::numeric_limits<double>::quiet_NaN();  // cacheHits / prompts
  int admissions = 0;
  int evictions = 0;
  int truncations = 0;
  // The cost model: prompts it decided, those it declined, and the share of
  // decisions that agreed with the path measured faster (NaN when none).
  int costModelDecisions = 0;
  int costModelDeclined = 0;
  double costModelRightRate = std::numeric_limits<double>::quiet_NaN();
};

RunSummary summarizeResults(const std::vector<PromptResult>& results);
std::string summaryToJson(const RunSummary& summary);
RunSummary summaryFromJson(const std::string& json);  // missing fields keep their defaults

// What a run studied: recycling K/V across prompts (the default), or eviction
// inside one generation (kvrecycle/eviction.h), whose results are
// RunStore::evictionResults rather than prompt results.
enum class RunKind { Recycling, Eviction };
const char* runKindName(RunKind kind);          // "recycling", "eviction"
RunKind parseRunKind(const std::string& name);  // throws kvr::Error

struct RunRecord {
  int64_t id = 0;
  RunKind kind = RunKind::Recycling;
  std::string name;
  std::string notes;
  std::vector<std::string> tags;
  std::string createdAt;   // ISO 8601 UTC, e.g. 2026-11-23T04:05:06Z
  std::string finishedAt;  // "" while running
  RunStatus status = RunStatus::Running;
  std::string modelPath;
  std::string modelFingerprint;
  bool synthetic = false;
  std::string configJson;   // the full experiment configuration
  std::string machineJson;  // machine, threads and library versions
  std::string summaryJson;  // RunSummary as JSON once finished ("" before)
  std::string error;        // why a failed run failed
  int plannedPrompts = 0;   // test prompts the run set out to measure
};

// A K/V store entry as recorded in the database (the file is the source of truth).
struct CacheEntryRecord {
  std::string entryId;
  std::string modelFingerprint;
  std::string path;
  std::vector<int> tokenIds;
  std::string text;
  int64_t bytes = 0;
  std::string checksum;
  std::string createdAt;
};

}  // namespace kvr
