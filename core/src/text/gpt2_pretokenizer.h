#pragma once
// GPT-2's pre-tokenizer: the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// hand-compiled into a scanner (no regex engine, linear time).
#include <cstddef>
#include <utility>
#include <vector>

namespace kvr::text {

// Returns [begin, end) code point index ranges of the pieces, in order.
std::vector<std::pair<size_t, size_t>> splitGpt2Pieces(const std::vector<char32_t>& cps);

}  // namespace kvr::text
