#include "retrieval/embedding_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <unistd.h>

#include "kvrecycle/error.h"

namespace kvr {

namespace {

constexpr int kGraphNeighbours = 32;   // HNSW M
constexpr int kGraphBuildDepth = 40;   // efConstruction
constexpr int kGraphSearchDepth = 64;  // efSearch: recall of top-1 vs time

faiss::IndexHNSWFlat* graphOf(faiss::Index* index) {
  return dynamic_cast<faiss::IndexHNSWFlat*>(index);
}

}  // namespace

struct EmbeddingIndex::Impl {
  std::unique_ptr<faiss::Index> index;
};

void EmbeddingIndex::useGraphIfLarge() {
  if (approximate() || size() < kGraphFrom) return;
  auto* flat = dynamic_cast<faiss::IndexFlat*>(impl_->index.get());
  if (flat == nullptr) return;
  auto graph = std::make_unique<faiss::IndexHNSWFlat>(dimension(), kGraphNeighbours,
                                                      faiss::METRIC_INNER_PRODUCT);
  graph->hnsw.efConstruction = kGraphBuildDepth;
  graph->hnsw.efSearch = kGraphSearchDepth;
  graph->add(flat->ntotal, flat->get_xb());
  impl_->index = std::move(graph);
}

bool EmbeddingIndex::approximate() const {
  return graphOf(impl_->index.get()) != nullptr;
}

std::string EmbeddingIndex::kind() const {
  if (!approximate()) return "flat inner product";
  return "hnsw inner product (M " + std::to_string(kGraphNeighbours) + ", efSearch " +
         std::to_string(kGraphSearchDepth) + ")";
}

EmbeddingIndex::EmbeddingIndex(int dimension) : impl_(std::make_unique<Impl>()) {
  impl_->index = std::make_unique<faiss::IndexFlatIP>(dimension);
}
EmbeddingIndex::~EmbeddingIndex() = default;
EmbeddingIndex::EmbeddingIndex(EmbeddingIndex&&) noexcept = default;
EmbeddingIndex& EmbeddingIndex::operator=(EmbeddingIndex&&) noexcept = default;

int EmbeddingIndex::dimension() const {
  return static_cast<int>(impl_->index->d);
}
int EmbeddingIndex::size() const {
  return static_cast<int>(impl_->index->ntotal);
}

void EmbeddingIndex::add(const std::vector<float>& embedding) {
  if (static_cast<int>(embedding.size()) != dimension()) {
    throw Error("embedding of dimension " + std::to_string(embedding.size()) +
                " added to an index of dimension " + std::to_string(dimension()));
  }
  impl_->index->add(1, embedding.data());
}

std::vector<float> EmbeddingIndex::vector(int row) const {
  if (row < 0 || row >= size()) {
    throw Error("row " + std::to_string(row) + " is outside an index of " + std::to_string(size()));
  }
  std::vector<float> v(static_cast<size_t>(dimension()));
  impl_->index->reconstruct(row, v.data());
  return v;
}

std::vector<EmbeddingIndex::Hit> EmbeddingIndex::search(const std::vector<float>& query,
                                                        int k) const {
  if (static_cast<int>(query.size()) != dimension()) {
    throw Error("query of dimension " + std::to_string(query.size()) +
                " for an index of dimension " + std::to_string(dimension()));
  }
  k = std::min(k, size());
  if (k <= 0) return {};
  std::vector<float> scores(static_cast<size_t>(k));
  std::vector<faiss::Index::idx_t> rows(static_cast<size_t>(k));
  impl_->index->search(1, query.data(), k, scores.data(), rows.data());
  std::vector<Hit> hits;
  for (int i = 0; i < k; ++i) {
    if (rows[i] >= 0) hits.push_back({static_cast<int>(rows[i]), scores[i]});
  }
  return hits;
}

void EmbeddingIndex::save(const std::filesystem::path& path) const {
  const std::string temp = path.string() + ".tmp." + std::to_string(::getpid());
  try {
    faiss::write_index(impl_->index.get(), temp.c_str());
  } catch (const std::exception& e) {
    std::filesystem::remove(temp);
    throw Error(path.string() + ": cannot write index: " + e.what());
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) throw Error(path.string() + ": cannot write index: " + ec.message());
}

EmbeddingIndex EmbeddingIndex::load(const std::filesystem::path& path, int expectedDimension) {
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(path.c_str()));
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw Error(path.string() + ": cannot read index: " + what.substr(0, what.find('\n')));
  }
  faiss::IndexHNSWFlat* graph = graphOf(index.get());
  const bool known = dynamic_cast<faiss::IndexFlatIP*>(index.get()) != nullptr ||
                     (graph != nullptr && graph->metric_type == faiss::METRIC_INNER_PRODUCT);
  if (graph != nullptr) graph->hnsw.efSearch = kGraphSearchDepth;
  if (index->d != expectedDimension || !known) {
    throw Error(path.string() + ": index does not match the embedder (dimension " +
                std::to_string(index->d) + ", expected " + std::to_string(expectedDimension) + ")");
  }
  EmbeddingIndex result(expectedDimension);
  result.impl_->index = std::move(index);
  return result;
}

}  // namespace kvr
