// RunSummary <-> JSON: the form summaries take in the run store, the CLI's
// last line and exports. NaN and missing intervals are JSON null.
#include <nlohmann/json.hpp>

#include <cmath>

#include "kvrecycle/results.h"

namespace kvr {
namespace {

nlohmann::ordered_json numberOrNull(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json intervalJson(const Interval95& i) {
  if (!i.valid()) return nullptr;
  return nlohmann::ordered_json::array({i.low, i.high});
}

double numberFrom(const nlohmann::json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  return it->is_number() ? it->get<double>() : std::nan("");
}

Interval95 intervalFrom(const nlohmann::json& j, const char* key) {
  Interval95 i;
  const auto it = j.find(key);
  if (it != j.end() && it->is_array() && it->size() == 2 && (*it)[0].is_number() &&
      (*it)[1].is_number()) {
    i.low = (*it)[0].get<double>();
    i.high = (*it)[1].get<double>();
  }
  return i;
}

}  // namespace

std::string summaryToJson(const RunSummary& s) {
  nlohmann::ordered_json j;
  j["prompts"] = s.prompts;
  j["planned_prompts"] = s.plannedPrompts;
  j["cache_hits"] = s.cacheHits;
  j["tokens_reused"] = s.tokensReused;
  j["avg_speedup_pct"] = s.avgSpeedupPct;
  j["avg_speedup_ci95"] = intervalJson(s.avgSpeedupCi95);
  j["avg_speedup_with_cache_pct"] = s.avgSpeedupWithCachePct;
  j["avg_speedup_with_cache_ci95"] = intervalJson(s.avgSpeedupWithCacheCi95);
  j["avg_speedup_without_cache_pct"] = s.avgSpeedupWithoutCachePct;
  j["avg_speedup_without_cache_ci95"] = intervalJson(s.avgSpeedupWithoutCacheCi95);
  j["avg_output_similarity"] = s.avgOutputSimilarity;
  j["avg_prompt_similarity"] = s.avgPromptSimilarity;
  j["high_similarity_prompts"] = s.highSimilarityPrompts;
  j["latency_baseline_avg_s"] = s.latencyBaselineAvgSeconds;
  j["latency_recycled_avg_s"] = s.latencyRecycledAvgSeconds;
  j["reused_prompts"] = s.reusedPrompts;
  j["exact_reused"] = s.exactReused;
  j["exact_match_rate"] = numberOrNull(s.exactMatchRate);
  j["avg_ttft_speedup"] = s.avgTtftSpeedup;
  j["avg_ttft_speedup_ci95"] = intervalJson(s.avgTtftSpeedupCi95);
  j["alpha"] = s.alpha;
  j["alpha_ci95"] = intervalJson(s.alphaCi95);
  j["alpha_r2"] = numberOrNull(s.alphaR2);
  j["fallbacks"] = s.fallbacks;
  j["noisy_prompts"] = s.noisyPrompts;
  return j.dump();
}

RunSummary summaryFromJson(const std::string& json) {
  RunSummary s;
  if (json.empty()) return s;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return s;
  s.prompts = j.value("prompts", 0);
  s.plannedPrompts = j.value("planned_prompts", 0);
  s.cacheHits = j.value("cache_hits", 0);
  s.tokensReused = j.value("tokens_reused", int64_t{0});
  s.avgSpeedupPct = j.value("avg_speedup_pct", 0.0);
  s.avgSpeedupCi95 = intervalFrom(j, "avg_speedup_ci95");
  s.avgSpeedupWithCachePct = j.value("avg_speedup_with_cache_pct", 0.0);
  s.avgSpeedupWithCacheCi95 = intervalFrom(j, "avg_speedup_with_cache_ci95");
  s.avgSpeedupWithoutCachePct = j.value("avg_speedup_without_cache_pct", 0.0);
  s.avgSpeedupWithoutCacheCi95 = intervalFrom(j, "avg_speedup_without_cache_ci95");
  s.avgOutputSimilarity = j.value("avg_output_similarity", 0.0);
  s.avgPromptSimilarity = j.value("avg_prompt_similarity", 0.0);
  s.highSimilarityPrompts = j.value("high_similarity_prompts", 0);
  s.latencyBaselineAvgSeconds = j.value("latency_baseline_avg_s", 0.0);
  s.latencyRecycledAvgSeconds = j.value("latency_recycled_avg_s", 0.0);
  // Summaries stored before reused_prompts existed counted every prompt.
  s.reusedPrompts = j.value("reused_prompts", s.cacheHits);
  s.exactReused = j.value("exact_reused", 0);
  s.exactMatchRate = numberFrom(j, "exact_match_rate", std::nan(""));
  s.avgTtftSpeedup = j.value("avg_ttft_speedup", 0.0);
  s.avgTtftSpeedupCi95 = intervalFrom(j, "avg_ttft_speedup_ci95");
  s.alpha = j.value("alpha", 0.0);
  s.alphaCi95 = intervalFrom(j, "alpha_ci95");
  s.alphaR2 = numberFrom(j, "alpha_r2", std::nan(""));
  s.fallbacks = j.value("fallbacks", 0);
  s.noisyPrompts = j.value("noisy_prompts", 0);
  return s;
}

}  // namespace kvr
