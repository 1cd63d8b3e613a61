#include "retrieval/embedding_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <unistd.h>

#include "kvrecycle/error.h"
#include "retrieval/graph_search.h"
#include "retrieval/half_graph_file.h"
#include "retrieval/simd_storage.h"

namespace kvr {

namespace {

constexpr int kGraphNeighbours = 32;   // HNSW M
constexpr int kGraphBuildDepth = 200;  // efConstruction: a better graph, paid once at build
// efSearch: recall of top-1 vs time. At 100 000 bench-store entries here, 32
// gave lookup p99 0.69 ms and recall 0.88 (40: 0.86 ms, 0.90; 64: 1.24 ms, 0.94).
constexpr int kGraphSearchDepth = 32;

faiss::IndexHNSW* graphOf(faiss::Index* index) {
  return dynamic_cast<faiss::IndexHNSW*>(index);
}

// A graph over fp16 SIMD storage, empty.
std::unique_ptr<faiss::IndexHNSW> emptyGraph(int dimension) {
  auto graph = std::make_unique<faiss::IndexHNSWSQ>(dimension, faiss::ScalarQuantizer::QT_fp16,
                                                    kGraphNeighbours, faiss::METRIC_INNER_PRODUCT);
  delete graph->storage;  // owned (own_fields): replaced by the same storage, faster
  graph->storage = new SimdHalfIP(dimension);
  graph->is_trained = true;
  graph->hnsw.efConstruction = kGraphBuildDepth;
  graph->hnsw.efSearch = kGraphSearchDepth;
  return graph;
}

// A loaded index with its storage made SIMD (saved files hold plain faiss):
// flat fp32 (flat indexes, and graphs saved before fp16) or fp16.
void useSimdStorage(std::unique_ptr<faiss::Index>& index) {
  if (faiss::IndexHNSW* graph = graphOf(index.get())) {
    if (!graph->own_fields || dynamic_cast<SimdHalfIP*>(graph->storage) != nullptr) return;
    if (auto* flat = dynamic_cast<faiss::IndexFlatIP*>(graph->storage)) {
      graph->storage = SimdFlatIP::takeVectors(*flat).release();
      delete flat;
    } else if (auto* sq = dynamic_cast<faiss::IndexScalarQuantizer*>(graph->storage)) {
      if (std::unique_ptr<SimdHalfIP> half = SimdHalfIP::takeCodes(*sq)) {
        graph->storage = half.release();
        delete sq;
      }
    }
  } else if (auto* plain = dynamic_cast<faiss::IndexFlatIP*>(index.get())) {
    index = SimdFlatIP::takeVectors(*plain);
  }
}

}  // namespace

struct EmbeddingIndex::Impl {
  std::unique_ptr<faiss::Index> index;
  bool outdatedFile = false;
};

bool EmbeddingIndex::fileIsOutdated() const {
  return impl_->outdatedFile;
}

void EmbeddingIndex::useGraphIfLarge() {
  if (approximate() || size() < kGraphFrom) return;
  auto* flat = dynamic_cast<faiss::IndexFlat*>(impl_->index.get());
  if (flat == nullptr) return;
  auto graph = emptyGraph(dimension());
  graph->add(flat->ntotal, flat->get_xb());
  impl_->index = std::move(graph);
}

bool EmbeddingIndex::approximate() const {
  return graphOf(impl_->index.get()) != nullptr;
}

std::string EmbeddingIndex::kind() const {
  if (!approximate()) return "flat inner product";
  const auto* graph = graphOf(impl_->index.get());
  const bool half = dynamic_cast<const SimdHalfIP*>(graph->storage) != nullptr;
  return std::string("hnsw inner product") + (half ? ", fp16 vectors" : "") + " (M " +
         std::to_string(kGraphNeighbours) + ", efSearch " + std::to_string(graph->hnsw.efSearch) +
         ")";
}

EmbeddingIndex::EmbeddingIndex(int dimension) : impl_(std::make_unique<Impl>()) {
  impl_->index = std::make_unique<SimdFlatIP>(dimension);
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

namespace {

void checkQuery(const std::vector<float>& query, const faiss::Index& index) {
  if (query.size() != static_cast<size_t>(index.d)) {
    throw Error("query of dimension " + std::to_string(query.size()) +
                " for an index of dimension " + std::to_string(index.d));
  }
}

std::vector<EmbeddingIndex::Hit> searchIn(const faiss::Index& index,
                                          const std::vector<float>& query, int k) {
  checkQuery(query, index);
  k = std::min<int>(k, static_cast<int>(index.ntotal));
  if (k <= 0) return {};
  std::vector<float> scores(static_cast<size_t>(k));
  std::vector<faiss::Index::idx_t> rows(static_cast<size_t>(k));
  index.search(1, query.data(), k, scores.data(), rows.data());
  std::vector<EmbeddingIndex::Hit> hits;
  for (int i = 0; i < k; ++i) {
    if (rows[i] >= 0) hits.push_back({static_cast<int>(rows[i]), scores[i]});
  }
  return hits;
}

}  // namespace

std::vector<EmbeddingIndex::Hit> EmbeddingIndex::search(const std::vector<float>& query,
                                                        int k) const {
  const faiss::IndexHNSW* graph = graphOf(impl_->index.get());
  const auto* half = graph != nullptr ? dynamic_cast<const SimdHalfIP*>(graph->storage) : nullptr;
  if (half == nullptr) return searchIn(*impl_->index, query, k);
  checkQuery(query, *graph);
  return searchHalfGraph(graph->hnsw, *half, query.data(), k, graph->hnsw.efSearch);
}

std::vector<EmbeddingIndex::Hit> EmbeddingIndex::searchExact(const std::vector<float>& query,
                                                             int k) const {
  const faiss::IndexHNSW* graph = graphOf(impl_->index.get());
  return searchIn(graph != nullptr ? *graph->storage : *impl_->index, query, k);
}

void EmbeddingIndex::save(const std::filesystem::path& path) const {
  if (const faiss::IndexHNSW* graph = graphOf(impl_->index.get())) {
    if (const auto* half = dynamic_cast<const SimdHalfIP*>(graph->storage)) {
      saveHalfGraph(*graph, *half, path);
      return;
    }
  }
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
  const bool halfGraphFile = isHalfGraphFile(path);
  try {
    if (halfGraphFile) {
      index = loadHalfGraph(path);
    } else {
      index.reset(faiss::read_index(path.c_str()));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw Error(path.string() + ": cannot read index: " + what.substr(0, what.find('\n')));
  }
  faiss::IndexHNSW* graph = graphOf(index.get());
  if (graph != nullptr) graph->hnsw.efSearch = kGraphSearchDepth;
  useSimdStorage(index);
  // Only the kinds this class writes, with SIMD storage (so never faiss's scalar loop).
  const bool known = dynamic_cast<SimdFlatIP*>(index.get()) != nullptr ||
                     (graph != nullptr && graph->metric_type == faiss::METRIC_INNER_PRODUCT &&
                      (dynamic_cast<SimdFlatIP*>(graph->storage) != nullptr ||
                       dynamic_cast<SimdHalfIP*>(graph->storage) != nullptr));
  if (index->d != expectedDimension || !known) {
    throw Error(path.string() + ": index does not match the embedder (dimension " +
                std::to_string(index->d) + ", expected " + std::to_string(expectedDimension) + ")");
  }
  EmbeddingIndex result(expectedDimension);
  result.impl_->outdatedFile =
      !halfGraphFile && graph != nullptr && dynamic_cast<SimdHalfIP*>(graph->storage) != nullptr;
  result.impl_->index = std::move(index);
  return result;
}

}  // namespace kvr
