#include "kvrecycle/evicted_recycling.h"

#include <algorithm>
#include <cmath>

#include "eviction/evicted_prefix.h"
#include "experiment/prompt_tokens.h"
#include "kv/prefix_trie.h"
#include "kvrecycle/error.h"
#include "kvrecycle/stats.h"

namespace kvr {
namespace {

std::vector<std::vector<int>> tokenizeAll(const Model& model, const PromptSet& set,
                                          const std::string& tmpl, int newTokens) {
  std::vector<std::vector<int>> all;
  for (const Prompt& p : set.prompts) {
    all.push_back(tokenizeFor(model, set, p, tmpl, p.text));
    requireFits(model, set, p, all.back().size(), newTokens);
  }
  return all;
}

struct Match {
  int cache = -1;  // index of the cache prompt, -1: none shares a token
  int reuse = 0;   // shared tokens reused (leaving at least one to compute)
};

std::string settingFolder(const EvictionSettings& s) {
  return std::string(evictionMethodName(s.method)) + "-" + std::to_string(s.budget);
}

}  // namespace

std::vector<EvictedRecyclingRow> runEvictedRecycling(const Model& model,
                                                     const PromptSet& cachePrompts,
                                                     const PromptSet& testPrompts,
                                                     const EvictionRunConfig& config,
                                                     const std::filesystem::path& dir,
                                                     const EvictedRecyclingCallbacks& callbacks) {
  const std::vector<EvictionSettings> grid = evictionGrid(config);
  const auto cache = tokenizeAll(model, cachePrompts, config.promptTemplate, 0);
  const auto tests = tokenizeAll(model, testPrompts, config.promptTemplate, config.maxNewTokens);
  // The cache prompt sharing the longest token prefix, as the longest-prefix policy picks.
  PrefixTrie trie;
  for (size_t c = 0; c < cache.size(); ++c) trie.insert(cache[c], static_cast<int>(c));
  std::vector<Match> matches;
  std::vector<EvictedPass> baselines;
  for (const std::vector<int>& prompt : tests) {
    const PrefixTrie::Match shared = trie.longestPrefix(prompt);
    const int reuse = std::min(shared.length, static_cast<int>(prompt.size()) - 1);
    matches.push_back(reuse >= 1 ? Match{shared.entry, reuse} : Match{});
    if (matches.back().cache < 0) {
      baselines.emplace_back();  // nothing to reuse: not measured
      continue;
    }
    baselines.push_back(
        generateEvicted(model, prompt, EvictionSettings{}, config.maxNewTokens, true));
  }

  std::vector<EvictedRecyclingRow> rows;
  for (size_t g = 0; g < grid.size(); ++g) {
    if (callbacks.cancel != nullptr && callbacks.cancel->load()) break;
    if (callbacks.progress) callbacks.progress(static_cast<int>(g), static_cast<int>(grid.size()));
    const EvictionSettings& s = grid[g];
    const std::filesystem::path folder = dir / settingFolder(s);
    std::filesystem::create_directories(folder);
    EvictedRecyclingRow row;
    row.method = s.method;
    row.budget = s.budget;
    std::vector<std::filesystem::path> files(cache.size());
    std::vector<double> divergences;
    double agreement = 0;
    for (size_t t = 0; t < tests.size(); ++t) {
      const Match m = matches[t];
      if (m.cache < 0) continue;
      std::filesystem::path& file = files[static_cast<size_t>(m.cache)];
      if (file.empty()) {  // stored once per cache prompt, on first use
        file = folder / ("cache-" + std::to_string(m.cache) + ".safetensors");
        const EvictedPrefix stored =
            captureEvictedPrefix(model, cache[static_cast<size_t>(m.cache)], s);
        writeEvictedPrefix(file, stored, model, s);
        row.storedBytes += static_cast<int64_t>(std::filesystem::file_size(file));
        row.storedFullBytes += stored.fullBytes(static_cast<int>(stored.tokens.size()));
      }
      const EvictedPrefix prefix = readEvictedPrefix(file, model);
      const EvictedPass out =
          generateFromEvictedPrefix(model, prefix, m.reuse, tests[t], config.maxNewTokens);
      const EvictedPass& base = baselines[t];
      row.loadedBytes += prefix.loadBytes(m.reuse);
      row.loadedFullBytes += prefix.fullBytes(m.reuse);
      ++row.prompts;
      int same = 0, first = -1;
      for (size_t i = 0; i < out.outputIds.size(); ++i) {
        const bool equal = out.outputIds[i] == base.outputIds[i];
        same += equal ? 1 : 0;
        if (!equal && first < 0) first = static_cast<int>(i);
      }
      agreement += static_cast<double>(same) / static_cast<double>(out.outputIds.size());
      row.exactPrompts += first < 0 ? 1 : 0;
      divergences.push_back(first < 0 ? static_cast<double>(out.outputIds.size()) : first);
      const std::vector<float>& a = out.stepLogits.front();
      const std::vector<float>& b = base.stepLogits.front();
      for (size_t v = 0; v < a.size(); ++v) {
        row.maxFirstLogitDiff =
            std::max(row.maxFirstLogitDiff, std::abs(static_cast<double>(a[v]) - b[v]));
      }
    }
    row.tokenAgreement = row.prompts > 0 ? agreement / row.prompts : 1.0;
    row.firstDivergenceMedian = divergences.empty() ? 0 : summarize(divergences).median;
    rows.push_back(row);
  }
  if (callbacks.progress)
    callbacks.progress(static_cast<int>(rows.size()), static_cast<int>(grid.size()));
  return rows;
}

}  // namespace kvr
