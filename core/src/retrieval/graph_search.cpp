#include "retrieval/graph_search.h"

#include <algorithm>
#include <queue>
#include <utility>

#include "retrieval/simd_storage.h"

namespace kvr {
namespace {

using Scored = std::pair<float, faiss::HNSW::storage_idx_t>;

// Rows seen by the current search: a tag per row, reset by bumping the tag.
class VisitedRows {
 public:
  void begin(size_t rows) {
    if (tags_.size() != rows) {
      tags_.assign(rows, 0);
      now_ = 0;
    }
    if (++now_ == 0) {  // the tag wrapped: clear once every 65 535 searches
      std::fill(tags_.begin(), tags_.end(), 0);
      now_ = 1;
    }
  }
  bool firstVisit(size_t row) {
    if (tags_[row] == now_) return false;
    tags_[row] = now_;
    return true;
  }

 private:
  std::vector<uint16_t> tags_;
  uint16_t now_ = 0;
};

class Scorer {
 public:
  Scorer(const SimdHalfIP& vectors, const float* query)
      : vectors_(vectors), codes_(vectors.codeData()), query_(query) {}
  void prefetch(faiss::HNSW::storage_idx_t row) const {
    const uint8_t* v = codes_ + static_cast<size_t>(row) * vectors_.code_size;
    for (size_t at = 0; at < vectors_.code_size; at += 64) __builtin_prefetch(v + at);
  }
  float operator()(faiss::HNSW::storage_idx_t row) const {
    return vectors_.innerProduct(query_, row);
  }

 private:
  const SimdHalfIP& vectors_;
  const uint8_t* codes_;
  const float* query_;
};

constexpr size_t kPrefetchAhead = 3;  // vectors in flight while one is scored

// Scores `rows` in order into `out`, each row's vector prefetched kPrefetchAhead rows ahead.
void scoreAll(const Scorer& score, const std::vector<faiss::HNSW::storage_idx_t>& rows,
              std::vector<Scored>& out) {
  out.clear();
  for (size_t i = 0; i < std::min(kPrefetchAhead, rows.size()); ++i) score.prefetch(rows[i]);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + kPrefetchAhead < rows.size()) score.prefetch(rows[i + kPrefetchAhead]);
    out.emplace_back(score(rows[i]), rows[i]);
  }
}

}  // namespace

std::vector<EmbeddingIndex::Hit> searchHalfGraph(const faiss::HNSW& graph,
                                                 const SimdHalfIP& vectors, const float* query,
                                                 int k, int ef) {
  const auto rows = static_cast<size_t>(vectors.ntotal);
  if (rows == 0 || k <= 0 || graph.entry_point < 0) return {};
  const Scorer score(vectors, query);
  std::vector<faiss::HNSW::storage_idx_t> neighbours;
  std::vector<Scored> scored;
  const auto neighboursAt = [&](faiss::HNSW::storage_idx_t node, int level) {
    size_t begin = 0, end = 0;
    graph.neighbor_range(node, level, &begin, &end);
    neighbours.clear();
    for (size_t i = begin; i < end && graph.neighbors[i] >= 0; ++i) {
      neighbours.push_back(graph.neighbors[i]);
    }
  };

  // Upper levels: walk greedily towards the query.
  Scored best{score(graph.entry_point), graph.entry_point};
  for (int level = graph.max_level; level > 0; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      neighboursAt(best.second, level);
      scoreAll(score, neighbours, scored);
      for (const Scored& s : scored) {
        if (s.first > best.first) best = s, moved = true;
      }
    }
  }

  // Level 0: a beam of the `ef` best seen; stop when the best unexplored
  // candidate is worse than the worst kept.
  thread_local VisitedRows visited;
  visited.begin(rows);
  visited.firstVisit(static_cast<size_t>(best.second));
  const size_t beam = static_cast<size_t>(std::max(ef, k));
  std::priority_queue<Scored> candidates;                                 // best on top
  std::priority_queue<Scored, std::vector<Scored>, std::greater<>> kept;  // worst on top
  candidates.push(best);
  kept.push(best);
  while (!candidates.empty()) {
    const Scored next = candidates.top();
    if (kept.size() >= beam && next.first < kept.top().first) break;
    candidates.pop();
    neighboursAt(next.second, 0);
    neighbours.erase(std::remove_if(neighbours.begin(), neighbours.end(),
                                    [](auto row) { return !visited.firstVisit(row); }),
                     neighbours.end());
    scoreAll(score, neighbours, scored);
    for (const Scored& s : scored) {
      if (kept.size() < beam || s.first > kept.top().first) {
        candidates.push(s);
        kept.push(s);
        if (kept.size() > beam) kept.pop();
      }
    }
  }
  std::vector<EmbeddingIndex::Hit> hits;
  while (!kept.empty()) {
    hits.push_back({kept.top().second, kept.top().first});
    kept.pop();
  }
  std::reverse(hits.begin(), hits.end());  // best first
  hits.resize(std::min(hits.size(), static_cast<size_t>(k)));
  return hits;
}

}  // namespace kvr
