#include "eviction/key_selection.h"

#include <algorithm>

namespace kvr::eviction {

int liveCount(const uint8_t* live, int length) {
  return static_cast<int>(std::count_if(live, live + length, [](uint8_t f) { return f != 0; }));
}

namespace {

std::vector<int> livePositions(const uint8_t* live, int length) {
  std::vector<int> positions;
  for (int p = 0; p < length; ++p) {
    if (live[p] != 0) positions.push_back(p);
  }
  return positions;
}

}  // namespace

void keepWindow(uint8_t* live, int length, int budget, int sinks) {
  const std::vector<int> positions = livePositions(live, length);
  const int n = static_cast<int>(positions.size());
  if (n <= budget) return;
  const int head = std::min(sinks, budget);
  const int tail = budget - head;
  for (int i = head; i < n - tail; ++i) live[positions[static_cast<size_t>(i)]] = 0;
}

void keepTopScored(uint8_t* live, int length, int budget, int recent, const float* scores) {
  std::vector<int> older = livePositions(live, length);
  if (static_cast<int>(older.size()) <= budget) return;
  const int tail = std::min(recent, budget);  // the recent window is kept as it is
  older.resize(older.size() - static_cast<size_t>(tail));
  const size_t keep = static_cast<size_t>(budget - tail);
  std::stable_sort(older.begin(), older.end(), [scores](int a, int b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  for (size_t i = keep; i < older.size(); ++i) live[older[i]] = 0;
}

std::vector<float> maxPooled(const float* scores, int length, int kernel) {
  std::vector<float> pooled(static_cast<size_t>(length));
  const int half = kernel / 2;
  for (int p = 0; p < length; ++p) {
    const int from = std::max(0, p - half), to = std::min(length, p + half + 1);
    pooled[static_cast<size_t>(p)] = *std::max_element(scores + from, scores + to);
  }
  return pooled;
}

}  // namespace kvr::eviction
