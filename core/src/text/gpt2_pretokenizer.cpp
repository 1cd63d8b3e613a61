#include "text/gpt2_pretokenizer.h"

#include "text/unicode_classes.h"

namespace kvr::text {
namespace {

bool isOther(char32_t cp) {
  return !isWhiteSpace(cp) && !isLetter(cp) && !isNumber(cp);
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) starting at i, or 0.
size_t contractionLength(const std::vector<char32_t>& cps, size_t i) {
  if (cps[i] != U'\'' || i + 1 >= cps.size()) return 0;
  const char32_t a = cps[i + 1];
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 >= cps.size()) return 0;
  const char32_t b = cps[i + 2];
  if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  return 0;
}

// ` ?CLASS+` at i: the end of the match, or i when it does not match.
template <typename Pred>
size_t optionalSpaceRun(const std::vector<char32_t>& cps, size_t i, Pred inClass) {
  size_t j = i;
  if (cps[j] == U' ' && j + 1 < cps.size() && inClass(cps[j + 1])) ++j;
  if (!inClass(cps[j])) return i;
  while (j < cps.size() && inClass(cps[j])) ++j;
  return j;
}

// `\s+(?!\S)|\s+` at i (cps[i] is white space): the end of the match.
size_t whiteSpaceRun(const std::vector<char32_t>& cps, size_t i) {
  size_t j = i;
  while (j < cps.size() && isWhiteSpace(cps[j])) ++j;
  // Followed by a non-space: leave the last space to prefix the next piece.
  if (j < cps.size() && j - i >= 2) return j - 1;
  return j;
}

}  // namespace

std::vector<std::pair<size_t, size_t>> splitGpt2Pieces(const std::vector<char32_t>& cps) {
  std::vector<std::pair<size_t, size_t>> pieces;
  size_t i = 0;
  while (i < cps.size()) {
    size_t end = i + contractionLength(cps, i);
    if (end == i) end = optionalSpaceRun(cps, i, isLetter);
    if (end == i) end = optionalSpaceRun(cps, i, isNumber);
    if (end == i) end = optionalSpaceRun(cps, i, isOther);
    if (end == i) end = whiteSpaceRun(cps, i);
    pieces.emplace_back(i, end);
    i = end;
  }
  return pieces;
}

}  // namespace kvr::text
