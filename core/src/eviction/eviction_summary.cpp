#include "kvrecycle/eviction_summary.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "kvrecycle/stats.h"

namespace kvr {
namespace {

nlohmann::ordered_json rowJson(const EvictionSummaryRow& r) {
  nlohmann::ordered_json j;
  j["method"] = evictionMethodName(r.method);
  j["budget"] = r.method == EvictionMethod::Full ? nlohmann::ordered_json()
                                                 : nlohmann::ordered_json(r.budget);
  j["prompts"] = r.prompts;
  j["footprint_ratio"] = r.footprintRatio;
  j["peak_entries"] = r.peakEntries;
  j["peak_bytes"] = r.peakBytes;
  j["token_agreement"] = r.tokenAgreement;
  j["first_divergence_median"] = r.firstDivergenceMedian;
  j["mean_logit_diff"] = r.meanLogitDiff;
  j["max_logit_diff"] = r.maxLogitDiff;
  j["nll_delta"] = r.nllDelta;
  return j;
}

}  // namespace

std::vector<EvictionSummaryRow> summarizeEviction(const std::vector<EvictionResultRow>& rows) {
  struct Group {
    EvictionSummaryRow row;
    std::vector<double> divergences;
  };
  std::vector<Group> groups;
  for (const EvictionResultRow& r : rows) {
    auto it = std::find_if(groups.begin(), groups.end(), [&r](const Group& g) {
      return g.row.method == r.method && g.row.budget == r.budget;
    });
    if (it == groups.end()) {
      Group g;
      g.row.method = r.method;
      g.row.budget = r.budget;
      g.row.footprintRatio = g.row.tokenAgreement = 0;
      groups.push_back(g);
      it = groups.end() - 1;
    }
    EvictionSummaryRow& s = it->row;
    const EvictionFidelity& f = r.fidelity;
    ++s.prompts;
    s.footprintRatio += f.footprintRatio;
    s.tokenAgreement += f.tokenAgreement;
    s.meanLogitDiff += f.meanLogitDiff;
    s.nllDelta += f.nllDelta;
    s.peakEntries = std::max(s.peakEntries, f.peakEntries);
    s.peakBytes = std::max(s.peakBytes, f.peakBytes);
    s.maxLogitDiff = std::max(s.maxLogitDiff, f.maxLogitDiff);
    it->divergences.push_back(f.firstDivergence >= 0 ? f.firstDivergence : r.newTokens);
  }
  std::vector<EvictionSummaryRow> out;
  for (Group& g : groups) {
    EvictionSummaryRow& s = g.row;
    const double n = s.prompts;
    s.footprintRatio /= n;
    s.tokenAgreement /= n;
    s.meanLogitDiff /= n;
    s.nllDelta /= n;
    s.firstDivergenceMedian = summarize(g.divergences).median;
    out.push_back(s);
  }
  return out;
}

std::string evictionSummaryRowJson(const EvictionSummaryRow& row) {
  return rowJson(row).dump();
}

double EvictedRecyclingRow::loadedBytesRatio() const {
  return loadedFullBytes > 0 ? static_cast<double>(loadedBytes) / loadedFullBytes : 1.0;
}

namespace {

nlohmann::ordered_json recycledJson(const EvictedRecyclingRow& r) {
  nlohmann::ordered_json j;
  j["recycled"] = true;
  j["method"] = evictionMethodName(r.method);
  j["budget"] = r.method == EvictionMethod::Full ? nlohmann::ordered_json()
                                                 : nlohmann::ordered_json(r.budget);
  j["prompts"] = r.prompts;
  j["stored_bytes"] = r.storedBytes;
  j["stored_full_bytes"] = r.storedFullBytes;
  j["loaded_bytes"] = r.loadedBytes;
  j["loaded_full_bytes"] = r.loadedFullBytes;
  j["loaded_bytes_ratio"] = r.loadedBytesRatio();
  j["token_agreement"] = r.tokenAgreement;
  j["exact_prompts"] = r.exactPrompts;
  j["first_divergence_median"] = r.firstDivergenceMedian;
  j["max_first_logit_diff"] = r.maxFirstLogitDiff;
  return j;
}

}  // namespace

std::string evictedRecyclingRowJson(const EvictedRecyclingRow& row) {
  return recycledJson(row).dump();
}

std::string evictionSummaryJson(const std::vector<EvictionSummaryRow>& rows,
                                const std::vector<EvictedRecyclingRow>& recycled) {
  nlohmann::ordered_json j;
  j["kind"] = "eviction";
  j["methods"] = nlohmann::ordered_json::array();
  for (const EvictionSummaryRow& r : rows) j["methods"].push_back(rowJson(r));
  if (!recycled.empty()) {
    j["recycled"] = nlohmann::ordered_json::array();
    for (const EvictedRecyclingRow& r : recycled) {
      j["recycled"].push_back(recycledJson(r));
    }
  }
  return j.dump();
}

}  // namespace kvr
