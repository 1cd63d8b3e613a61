// RunSummary <-> JSON: the form summaries take in the run store, the CLI's
// last line and exports. NaN and missing intervals are JSON null.
#include <nlohmann/json.hpp>

#include <cmath>
#include <variant>

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

// Every field of the summary under its one JSON name, in output order.
using SummaryMember = std::variant<int RunSummary::*, int64_t RunSummary::*, double RunSummary::*,
                                   Interval95 RunSummary::*>;
struct SummaryField {
  const char* key;
  SummaryMember member;
};

const SummaryField kSummaryFields[] = {
    {"prompts", &RunSummary::prompts},
    {"planned_prompts", &RunSummary::plannedPrompts},
    {"cache_hits", &RunSummary::cacheHits},
    {"tokens_reused", &RunSummary::tokensReused},
    {"avg_speedup_pct", &RunSummary::avgSpeedupPct},
    {"avg_speedup_ci95", &RunSummary::avgSpeedupCi95},
    {"avg_speedup_with_cache_pct", &RunSummary::avgSpeedupWithCachePct},
    {"avg_speedup_with_cache_ci95", &RunSummary::avgSpeedupWithCacheCi95},
    {"avg_speedup_without_cache_pct", &RunSummary::avgSpeedupWithoutCachePct},
    {"avg_speedup_without_cache_ci95", &RunSummary::avgSpeedupWithoutCacheCi95},
    {"avg_output_similarity", &RunSummary::avgOutputSimilarity},
    {"avg_prompt_similarity", &RunSummary::avgPromptSimilarity},
    {"high_similarity_prompts", &RunSummary::highSimilarityPrompts},
    {"latency_baseline_avg_s", &RunSummary::latencyBaselineAvgSeconds},
    {"latency_recycled_avg_s", &RunSummary::latencyRecycledAvgSeconds},
    {"reused_prompts", &RunSummary::reusedPrompts},
    {"exact_reused", &RunSummary::exactReused},
    {"exact_match_rate", &RunSummary::exactMatchRate},
    {"avg_ttft_speedup", &RunSummary::avgTtftSpeedup},
    {"avg_ttft_speedup_ci95", &RunSummary::avgTtftSpeedupCi95},
    {"alpha", &RunSummary::alpha},
    {"alpha_ci95", &RunSummary::alphaCi95},
    {"alpha_r2", &RunSummary::alphaR2},
    {"fallbacks", &RunSummary::fallbacks},
    {"noisy_prompts", &RunSummary::noisyPrompts},
    {"hit_rate", &RunSummary::hitRate},
    {"ttft_saved_s", &RunSummary::ttftSavedSeconds},
    {"peak_resident_bytes", &RunSummary::peakResidentBytes},
    {"footprint_byte_s", &RunSummary::footprintByteSeconds},
    {"unbounded_footprint_byte_s", &RunSummary::unboundedFootprintByteSeconds},
    {"footprint_ratio", &RunSummary::footprintRatio},
    {"admissions", &RunSummary::admissions},
    {"evictions", &RunSummary::evictions},
    {"truncations", &RunSummary::truncations},
    {"cost_model_decisions", &RunSummary::costModelDecisions},
    {"cost_model_declined", &RunSummary::costModelDeclined},
    {"cost_model_right_rate", &RunSummary::costModelRightRate},
};

template <typename T>
using Member = T RunSummary::*;

struct Encode {
  const RunSummary& s;
  nlohmann::ordered_json operator()(Member<int> m) const { return s.*m; }
  nlohmann::ordered_json operator()(Member<int64_t> m) const { return s.*m; }
  nlohmann::ordered_json operator()(Member<double> m) const { return numberOrNull(s.*m); }
  nlohmann::ordered_json operator()(Member<Interval95> m) const { return intervalJson(s.*m); }
};

struct Decode {
  RunSummary& s;
  const nlohmann::json& j;
  const char* key;
  void operator()(Member<int> m) const { s.*m = j.value(key, s.*m); }
  void operator()(Member<int64_t> m) const { s.*m = j.value(key, s.*m); }
  void operator()(Member<double> m) const { s.*m = numberFrom(j, key, s.*m); }
  void operator()(Member<Interval95> m) const { s.*m = intervalFrom(j, key); }
};

}  // namespace

std::string summaryToJson(const RunSummary& s) {
  nlohmann::ordered_json j;
  for (const SummaryField& f : kSummaryFields) j[f.key] = std::visit(Encode{s}, f.member);
  return j.dump();
}

RunSummary summaryFromJson(const std::string& json) {
  RunSummary s;
  if (json.empty()) return s;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return s;
  for (const SummaryField& f : kSummaryFields) std::visit(Decode{s, j, f.key}, f.member);
  // Summaries stored before reused_prompts existed: every cache hit was tested.
  if (!j.contains("reused_prompts")) s.reusedPrompts = s.cacheHits;
  return s;
}

}  // namespace kvr
