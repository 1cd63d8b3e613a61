#include "experiment/reuse_planner.h"

#include <algorithm>

#include "kvrecycle/embedders.h"

namespace kvr {

ReusePlanner::ReusePlanner(ReusePolicy policy, int minReuse,
                           const std::vector<CachedPrompt>& cached, EmbeddingIndex index)
    : policy_(policy), minReuse_(minReuse), cached_(cached), index_(std::move(index)) {
  for (size_t i = 0; i < cached_.size(); ++i) trie_.insert(cached_[i].tokens, static_cast<int>(i));
}

ReusePlan ReusePlanner::plan(const std::vector<int>& tokens,
                             const std::vector<float>& embedding) const {
  ReusePlan plan;
  const int maxReuse = static_cast<int>(tokens.size()) - 1;
  const auto top = index_.search(embedding, 1);
  if (!top.empty()) {
    plan.nearestEntry = top[0].row;
    plan.promptSimilarity = top[0].score;
  }
  if (policy_ == ReusePolicy::Paper) {
    if (plan.nearestEntry < 0) return plan;
    const std::vector<int>& cachedTokens = cached_[plan.nearestEntry].tokens;
    const bool isPrefix = cachedTokens.size() <= tokens.size() &&
                          std::equal(cachedTokens.begin(), cachedTokens.end(), tokens.begin());
    if (isPrefix && maxReuse > 0) {
      plan.entry = plan.nearestEntry;
      plan.reuse = std::min(static_cast<int>(cachedTokens.size()), maxReuse);
    }
    return plan;
  }
  const PrefixTrie::Match match = trie_.longestPrefix(tokens);
  const int reuse = std::min(match.length, maxReuse);
  if (match.entry >= 0 && reuse >= std::max(1, minReuse_)) {
    plan.entry = match.entry;
    plan.reuse = reuse;
    // From the index's copy: at store scale the entries need not carry their vectors.
    plan.promptSimilarity = cosineSimilarity(embedding, index_.vector(match.entry));
  }
  return plan;
}

}  // namespace kvr
