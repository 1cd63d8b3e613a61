#pragma once
// Nearest-neighbour search over L2-normalized embeddings (faiss, inner
// product), persisted to a file beside the K/V store. Exact (flat) search
// reads every vector per query, which at store scale (100 000 entries x 1024
// dimensions: 400 MB a query) costs tens of milliseconds, so a large index
// can switch to a graph (HNSW): approximate top-1, a few hundred vectors read
// per query.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kvr {

class EmbeddingIndex {
 public:
  explicit EmbeddingIndex(int dimension);
  ~EmbeddingIndex();
  EmbeddingIndex(EmbeddingIndex&&) noexcept;
  EmbeddingIndex& operator=(EmbeddingIndex&&) noexcept;

  int dimension() const;
  int size() const;
  void add(const std::vector<float>& embedding);  // row = size() before the call
  std::vector<float> vector(int row) const;       // the embedding stored at `row`

  static constexpr int kGraphFrom = 2000;  // entries from which useGraphIfLarge() switches
  // Builds the HNSW graph over the vectors when there are at least kGraphFrom
  // (search becomes approximate); later add()s extend the graph.
  void useGraphIfLarge();
  bool approximate() const;
  std::string kind() const;  // "flat inner product" or "hnsw inner product (M 32, efSearch 64)"

  struct Hit {
    int row = -1;
    float score = 0;  // inner product = cosine for normalized vectors
  };
  std::vector<Hit> search(const std::vector<float>& query, int k) const;
  // The exact answer, reading every vector even when the index is a graph: to
  // measure the graph's recall, never on a prompt's path.
  std::vector<Hit> searchExact(const std::vector<float>& query, int k) const;

  void save(const std::filesystem::path& path) const;  // atomic
  // Throws kvr::Error naming the file when it is unreadable or of another dimension.
  static EmbeddingIndex load(const std::filesystem::path& path, int expectedDimension);
  // Loaded from a file of an older layout that a save would make faster to
  // load (a graph whose vectors are read, not mapped).
  bool fileIsOutdated() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvr
