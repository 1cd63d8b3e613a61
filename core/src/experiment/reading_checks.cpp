#include "experiment/reading_checks.h"

#include <cstdio>
#include <string>

namespace kvr {
namespace {

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, a, b, c, d);
  return text;
}

void flag(PromptResult& result, const std::string& reason) {
  result.noisy = true;
  result.noiseReason += (result.noiseReason.empty() ? "" : "; ") + reason;
}

}  // namespace

void checkReading(PromptResult& r, const NoiseSettings& noise) {
  r.noisy = false;
  r.noiseReason.clear();
  const int m = r.promptTokens;
  const int k = r.reusedTokens;
  if (m <= 0 || r.measuredRepeats == 0) return;

  // Prefill cost is a fixed part plus a part per token, so scaling the baseline
  // TTFT by (m - k) / m never overestimates a prefill of m - k tokens: a lower
  // bound on the recycled TTFT, and baseline TTFT * k / m an upper bound on what
  // skipping k tokens can save.
  const double share = static_cast<double>(m - k) / m;
  r.idealRecycledTtftSeconds = r.baselineTtftSeconds * share + r.kvLoadSeconds;
  const double slack = noise.boundTolerance * r.baselineTtftSeconds;

  if (r.disturbedRepeats > 0) {
    flag(r, format("decode times of the two arms differed by up to %.1f %% in %.0f of %.0f "
                   "repeats (threshold %.1f %%)",
                   100.0 * r.maxDecodeAsymmetry, r.disturbedRepeats, r.measuredRepeats,
                   100.0 * noise.decodeThreshold) +
                (r.remeasuredRepeats > 0
                     ? ", after " + std::to_string(r.remeasuredRepeats) + " re-measurements"
                     : std::string()));
  }
  if (r.recycledTtftSeconds < r.idealRecycledTtftSeconds - slack) {
    flag(r, format("recycled TTFT %.4f s beats its ideal %.4f s (prefill of %.0f new tokens at "
                   "the baseline's rate, plus the load)",
                   r.recycledTtftSeconds, r.idealRecycledTtftSeconds, m - k));
  }
  const double saving = r.baselineTotalSeconds * r.speedupPct / 100.0;
  const double maxSaving = r.baselineTtftSeconds * (1.0 - share);
  if (saving > maxSaving + slack) {
    flag(r, format("end-to-end saving %.4f s exceeds the %.4f s that skipping %.0f of %.0f "
                   "prompt tokens can save",
                   saving, maxSaving, k, m));
  }
}

}  // namespace kvr
