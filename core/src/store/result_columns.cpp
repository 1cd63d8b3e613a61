#include "store/result_columns.h"

#include <cmath>

#include "experiment/store_samples_json.h"
#include "kvrecycle/error.h"

namespace kvr {
namespace {

using R = PromptResult;

int64_t asInteger(const TableCell& c) {
  if (const auto* i = std::get_if<int64_t>(&c)) return *i;
  if (const auto* d = std::get_if<double>(&c)) return static_cast<int64_t>(*d);
  return 0;
}

double asReal(const TableCell& c) {
  if (const auto* d = std::get_if<double>(&c)) return *d;
  if (const auto* i = std::get_if<int64_t>(&c)) return static_cast<double>(*i);
  return std::nan("");  // NULL: NaN, as SCHEMA.md says
}

struct Options {
  int since = 1;
  const char* legacy = "";
};

ResultColumn column(const char* name, int R::*member, const char* description, Options o = {}) {
  return {name,
          ColumnKind::Integer,
          o.since,
          o.legacy,
          description,
          [member](const R& r) { return TableCell(int64_t{r.*member}); },
          [member](R& r, const TableCell& c) { r.*member = static_cast<int>(asInteger(c)); }};
}

ResultColumn column(const char* name, int64_t R::*member, const char* description, Options o = {}) {
  return {name,
          ColumnKind::Integer,
          o.since,
          o.legacy,
          description,
          [member](const R& r) { return TableCell(r.*member); },
          [member](R& r, const TableCell& c) { r.*member = asInteger(c); }};
}

ResultColumn column(const char* name, double R::*member, const char* description, Options o = {}) {
  return {name,
          ColumnKind::Real,
          o.since,
          o.legacy,
          description,
          [member](const R& r) { return TableCell(r.*member); },
          [member](R& r, const TableCell& c) { r.*member = asReal(c); }};
}

ResultColumn column(const char* name, std::string R::*member, const char* description,
                    Options o = {}) {
  return {name,
          ColumnKind::Text,
          o.since,
          o.legacy,
          description,
          [member](const R& r) { return TableCell(r.*member); },
          [member](R& r, const TableCell& c) {
            const auto* s = std::get_if<std::string>(&c);
            r.*member = s != nullptr ? *s : std::string();
          }};
}

ResultColumn column(const char* name, bool R::*member, const char* description, Options o = {}) {
  return {name,
          ColumnKind::Flag,
          o.since,
          o.legacy,
          description,
          [member](const R& r) { return TableCell(int64_t{r.*member ? 1 : 0}); },
          [member](R& r, const TableCell& c) { r.*member = asInteger(c) != 0; }};
}

ResultColumn column(const char* name, std::vector<int> R::*member, const char* description,
                    Options o = {}) {
  return {name,
          ColumnKind::IdList,
          o.since,
          o.legacy,
          description,
          [member](const R& r) { return TableCell(r.*member); },
          [member](R& r, const TableCell& c) {
            const auto* ids = std::get_if<std::vector<int>>(&c);
            r.*member = ids != nullptr ? *ids : std::vector<int>();
          }};
}

// [[seconds, resident bytes, unbounded bytes, event], ...] as JSON text.
ResultColumn storeSamplesColumn() {
  return {"store_samples",
          ColumnKind::Text,
          4,
          "",
          "K/V store resident bytes sampled since the previous prompt (JSON "
          "[[seconds, resident, unbounded, event], ...])",
          [](const R& r) { return TableCell(storeSamplesToJson(r.storeSamples)); },
          [](R& r, const TableCell& c) {
            const auto* s = std::get_if<std::string>(&c);
            r.storeSamples = s != nullptr ? storeSamplesFromJson(*s) : std::vector<StoreSample>();
          }};
}

std::vector<ResultColumn> makeColumns() {
  return {
      column("prompt_index", &R::index, "position of the prompt in the test set, from 0",
             {1, "idx"}),
      column("prompt_id", &R::promptId, "prompt id from the CSV"),
      column("prompt_text", &R::promptText, "prompt text as given (before the template)"),
      column("prompt_tokens", &R::promptTokens, "m: tokens fed to the model"),
      column("reused_tokens", &R::reusedTokens, "k: positions whose K/V were loaded"),
      column("cached_entry_id", &R::cachedEntryId, "K/V entry used ('' when none)"),
      column("cached_prompt_id", &R::cachedPromptId, "id of the cached prompt chosen"),
      column("cached_prompt_text", &R::cachedPromptText, "its text"),
      column("prompt_similarity", &R::promptSimilarity, "embedder cosine, test vs cached"),
      column("kv_load_s", &R::kvLoadSeconds, "seconds to load the reused K/V"),
      column("kv_load_iqr_s", &R::kvLoadIqrSeconds, "IQR of the load", {2}),
      column("kv_page_cache", &R::kvPageCache, "warm, cold, cold-failed or '' (no load)", {2}),
      column("baseline_ttft_s", &R::baselineTtftSeconds, "baseline prefill incl. first token"),
      column("baseline_ttft_iqr_s", &R::baselineTtftIqrSeconds, "its IQR", {2}),
      column("baseline_decode_s", &R::baselineDecodeSeconds, "baseline decode"),
      column("baseline_decode_iqr_s", &R::baselineDecodeIqrSeconds, "its IQR", {2}),
      column("baseline_total_s", &R::baselineTotalSeconds, "baseline total latency"),
      column("baseline_total_iqr_s", &R::baselineTotalIqrSeconds, "its IQR",
             {1, "baseline_total_spread_s"}),
      column("recycled_prefill_s", &R::recycledPrefillSeconds,
             "prefill of the m - k new tokens incl. first token"),
      column("recycled_ttft_s", &R::recycledTtftSeconds, "K/V load + recycled prefill"),
      column("recycled_ttft_iqr_s", &R::recycledTtftIqrSeconds, "its IQR", {2}),
      column("ideal_recycled_ttft_s", &R::idealRecycledTtftSeconds,
             "lower bound: baseline TTFT x (m - k) / m + load", {2}),
      column("recycled_decode_s", &R::recycledDecodeSeconds, "recycled decode"),
      column("recycled_decode_iqr_s", &R::recycledDecodeIqrSeconds, "its IQR", {2}),
      column("recycled_total_s", &R::recycledTotalSeconds, "recycled total latency"),
      column("recycled_total_iqr_s", &R::recycledTotalIqrSeconds, "its IQR",
             {1, "recycled_total_spread_s"}),
      column("baseline_tokens_generated", &R::baselineTokensGenerated, "tokens the baseline made"),
      column("recycled_tokens_generated", &R::recycledTokensGenerated,
             "tokens the recycled run made"),
      column("speedup_pct", &R::speedupPct,
             "end-to-end: median over repeats of (L_base - L_rec) / L_base x 100"),
      column("speedup_iqr_pct", &R::speedupIqrPct, "its IQR", {2}),
      column("ttft_speedup", &R::ttftSpeedup, "baseline TTFT / recycled TTFT"),
      column("measured_repeats", &R::measuredRepeats, "repeats kept", {2}),
      column("remeasured_repeats", &R::remeasuredRepeats, "disturbed repeats measured again", {2}),
      column("disturbed_repeats", &R::disturbedRepeats, "kept repeats still disturbed", {2}),
      column("max_decode_asymmetry", &R::maxDecodeAsymmetry,
             "largest |recycled / baseline decode - 1| with identical outputs", {2}),
      column("noisy", &R::noisy, "1 when the reading cannot be backed", {2}),
      column("noise_reason", &R::noiseReason, "why ('' unless noisy)", {2}),
      column("exact_match", &R::exactMatch, "1 when both outputs are token-identical"),
      column("first_divergence", &R::firstDivergence, "first differing output position, or -1"),
      column("max_logit_diff", &R::maxLogitDiff, "max |logit difference| on the first step"),
      column("output_similarity", &R::outputSimilarity, "embedder cosine of the two outputs"),
      column("fallback_reason", &R::fallbackReason, "why recycling fell back ('' if not)"),
      column("baseline_output", &R::baselineOutput, "baseline output text"),
      column("recycled_output", &R::recycledOutput, "recycled output text"),
      column("baseline_output_ids", &R::baselineOutputIds, "baseline output token ids",
             {1, "baseline_output_ids_json"}),
      column("recycled_output_ids", &R::recycledOutputIds, "recycled output token ids",
             {1, "recycled_output_ids_json"}),
      column("session", &R::session, "conversation session ('' when not a conversation)", {4}),
      column("turn", &R::turn, "turn in the session, from 1 (0 when not a conversation)", {4}),
      column("history_dropped_turns", &R::historyDroppedTurns,
             "oldest turns dropped so that the history fits the context", {4}),
      column("store_admission", &R::storeAdmission,
             "online mode: admitted, present, skipped or refused: why ('' offline)", {4}),
      column("resident_bytes", &R::residentBytes, "K/V store bytes after the prompt", {4}),
      storeSamplesColumn(),
      column("cost_decision", &R::costDecision,
             "cost model: recycle or decline ('' when off or nothing to reuse)", {5}),
      column("cost_planned_reuse", &R::costPlannedReuse,
             "cost model: k the planner offered (declined prompts reuse 0)", {5}),
      column("predicted_baseline_ttft_s", &R::predictedBaselineTtftSeconds,
             "cost model: predicted baseline TTFT", {5}),
      column("predicted_recycled_ttft_s", &R::predictedRecycledTtftSeconds,
             "cost model: predicted recycled TTFT (load + prefill of the rest)", {5}),
      column("declined_recycled_ttft_s", &R::declinedRecycledTtftSeconds,
             "cost model: measured TTFT of the recycled path it declined", {5}),
      column("cost_model_right", &R::costModelRight,
             "cost model: 1 when the decision agreed with the path measured faster", {5}),
  };
}

}  // namespace

std::string ResultColumn::sqlDeclaration() const {
  // Columns added after schema 1 carry defaults, so ALTER TABLE can add them.
  const bool added = sinceVersion > 1;
  switch (kind) {
    case ColumnKind::Integer:
      return added ? "INTEGER NOT NULL DEFAULT 0" : "INTEGER NOT NULL";
    case ColumnKind::Real:
      return "REAL";
    case ColumnKind::Text:
      return added ? "TEXT NOT NULL DEFAULT ''" : "TEXT NOT NULL";
    case ColumnKind::Flag:
      return std::string(added ? "INTEGER NOT NULL DEFAULT 0" : "INTEGER NOT NULL") + " CHECK (" +
             name + " IN (0, 1))";
    case ColumnKind::IdList:
      return "TEXT NOT NULL";  // a JSON array of integers
  }
  return "";
}

std::string ResultColumn::sqlDefault() const {
  switch (kind) {
    case ColumnKind::Integer:
    case ColumnKind::Flag:
      return "0";
    case ColumnKind::Real:
      return "NULL";
    case ColumnKind::Text:
      return "''";
    case ColumnKind::IdList:
      return "'[]'";
  }
  return "NULL";
}

const std::vector<ResultColumn>& resultColumns() {
  static const std::vector<ResultColumn> all = makeColumns();
  return all;
}

const ResultColumn& resultColumn(const std::string& name) {
  for (const ResultColumn& c : resultColumns()) {
    if (c.name == name) return c;
  }
  throw Error("unknown result column '" + name + "'");
}

}  // namespace kvr
