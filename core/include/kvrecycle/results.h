#pragma once
// Plain records of an experiment: what a run was, what each prompt measured,
// and what the K/V store holds. Shared by the runner, the run store, the CLI
// and the GUI; no torch, no Qt.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvr {

enum class RunStatus { Running, Completed, Cancelled, Failed, Interrupted };
const char* runStatusName(RunStatus status);        // "running", "completed", ...
RunStatus parseRunStatus(const std::string& name);  // throws kvr::Error when unknown

// One test prompt's baseline vs recycled measurement. Times are medians over
// the run's repeats, in seconds; *_spread_s is the interquartile range.
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
  double baselineTtftSeconds = 0;  // prefill incl. first token
  double baselineDecodeSeconds = 0;
  double baselineTotalSeconds = 0;
  double baselineTotalSpreadSeconds = 0;
  double recycledPrefillSeconds = 0;  // prefill of the m - k new tokens incl. first token
  double recycledTtftSeconds = 0;     // kv load + recycled prefill
  double recycledDecodeSeconds = 0;
  double recycledTotalSeconds = 0;
  double recycledTotalSpreadSeconds = 0;

  int baselineTokensGenerated = 0;
  int recycledTokensGenerated = 0;
  double speedupPct = 0;   // (L_base - L_rec) / L_base * 100 on total latency
  double ttftSpeedup = 1;  // baseline TTFT / recycled TTFT (x)

  bool exactMatch = false;
  int firstDivergence = -1;     // first differing output position, -1 when identical
  double maxLogitDiff = 0;      // max |logit difference| on the first generated step
  double outputSimilarity = 0;  // embedder cosine of the two output texts
  std::string fallbackReason;   // why recycling fell back to a full prefill ("" if it did not)

  std::vector<int> baselineOutputIds;
  std::vector<int> recycledOutputIds;
  std::string baselineOutput;
  std::string recycledOutput;
};

// The study's summary table plus exactness and TTFT.
struct RunSummary {
  int prompts = 0;
  int cacheHits = 0;  // prompts that reused K/V (k > 0, no fallback)
  int64_t tokensReused = 0;
  double avgSpeedupPct = 0;
  double avgSpeedupWithCachePct = 0;
  double avgSpeedupWithoutCachePct = 0;
  double avgOutputSimilarity = 0;
  double avgPromptSimilarity = 0;
  int highSimilarityPrompts = 0;  // prompt similarity > 0.8
  double latencyBaselineAvgSeconds = 0;
  double latencyRecycledAvgSeconds = 0;
  double exactMatchRate = 0;
  double avgTtftSpeedup = 0;
  double alpha = 0;  // least-squares fit of S = alpha * k/m through the origin
  int fallbacks = 0;
};

RunSummary summarizeResults(const std::vector<PromptResult>& results);

struct RunRecord {
  int64_t id = 0;
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
