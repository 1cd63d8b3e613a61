#pragma once
// A token trie over cached entries: finds the longest common token prefix of
// a prompt with any entry, whether or not the entry is wholly a prefix.
#include <unordered_map>
#include <vector>

namespace kvr {

class PrefixTrie {
 public:
  PrefixTrie();
  void insert(const std::vector<int>& tokens, int entry);

  struct Match {
    int length = 0;  // tokens shared with the entry, from the start
    int entry = -1;  // -1 when nothing is shared
  };
  // Among entries sharing the longest prefix, the first inserted wins.
  Match longestPrefix(const std::vector<int>& tokens) const;
  int size() const { return entries_; }

 private:
  struct Node {
    std::unordered_map<int, int> children;  // token -> node index
    int entry = -1;                         // first entry that passes through
  };
  std::vector<Node> nodes_;
  int entries_ = 0;
};

}  // namespace kvr
