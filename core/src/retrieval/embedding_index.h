#pragma once
// Nearest-neighbour search over L2-normalized embeddings (faiss, inner
// product), persisted to a file beside the K/V store.
#include <filesystem>
#include <memory>
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

  struct Hit {
    int row = -1;
    float score = 0;  // inner product = cosine for normalized vectors
  };
  std::vector<Hit> search(const std::vector<float>& query, int k) const;

  void save(const std::filesystem::path& path) const;  // atomic
  // Throws kvr::Error naming the file when it is unreadable or of another dimension.
  static EmbeddingIndex load(const std::filesystem::path& path, int expectedDimension);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvr
