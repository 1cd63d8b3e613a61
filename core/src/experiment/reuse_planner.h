#pragma once
// Decides, for one test prompt, which cached entry to reuse and how deep:
//   paper          - embedding top-1; reuse only if that entry is wholly a token prefix;
//   longest-prefix - the entry sharing the longest token prefix (trie), if >= minReuse.
// Either way at most m - 1 of an m-token prompt, so one token is always computed.
#include <string>
#include <vector>

#include "experiment/cached_prompt.h"
#include "kv/prefix_trie.h"
#include "kvrecycle/experiment.h"
#include "retrieval/embedding_index.h"

namespace kvr {

struct ReusePlan {
  int entry = -1;               // index into the cached prompts; -1 = no reuse
  int reuse = 0;                // k
  double promptSimilarity = 0;  // cosine with the chosen entry (top-1 when none)
  int nearestEntry = -1;        // embedding top-1, reported even without reuse
};

class ReusePlanner {
 public:
  ReusePlanner(ReusePolicy policy, int minReuse, const std::vector<CachedPrompt>& cached,
               EmbeddingIndex index);
  ReusePlan plan(const std::vector<int>& tokens, const std::vector<float>& embedding) const;
  const EmbeddingIndex& index() const { return index_; }

 private:
  ReusePolicy policy_;
  int minReuse_;
  const std::vector<CachedPrompt>& cached_;
  EmbeddingIndex index_;
  PrefixTrie trie_;
};

}  // namespace kvr
