#include "kv/prefix_trie.h"

namespace kvr {

PrefixTrie::PrefixTrie() : nodes_(1) {}

void PrefixTrie::insert(const std::vector<int>& tokens, int entry) {
  int node = 0;
  for (int token : tokens) {
    const auto it = nodes_[node].children.find(token);
    if (it != nodes_[node].children.end()) {
      node = it->second;
    } else {
      nodes_.emplace_back();
      const int child = static_cast<int>(nodes_.size()) - 1;
      nodes_[node].children.emplace(token, child);
      node = child;
    }
    if (nodes_[node].entry < 0) nodes_[node].entry = entry;
  }
  ++entries_;
}

PrefixTrie::Match PrefixTrie::longestPrefix(const std::vector<int>& tokens) const {
  Match match;
  int node = 0;
  for (int token : tokens) {
    const auto it = nodes_[node].children.find(token);
    if (it == nodes_[node].children.end()) break;
    node = it->second;
    ++match.length;
    match.entry = nodes_[node].entry;
  }
  return match;
}

}  // namespace kvr
