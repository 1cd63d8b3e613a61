#include "retrieval/half_graph_file.h"

#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "kvrecycle/error.h"
#include "retrieval/simd_storage.h"

namespace kvr {
namespace {

constexpr char kMagic[8] = {'K', 'V', 'R', 'H', 'N', 'S', 'W', '1'};
constexpr uint64_t kAlignment = 4096;

struct Header {
  char magic[8];
  uint64_t graphBytes;
  uint64_t rows;
  uint64_t rowBytes;
  uint64_t vectorsAt;
  uint64_t graphHash;
  uint64_t vectorsHash;
};
static_assert(sizeof(Header) == 56);

// faiss reads the graph straight from the mapping.
struct MemoryReader : faiss::IOReader {
  MemoryReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t operator()(void* ptr, size_t size, size_t items) override {
    const size_t whole = size == 0 ? 0 : std::min(items, (size_ - at_) / size);
    if (whole > 0) std::memcpy(ptr, data_ + at_, whole * size);  // faiss passes null for none
    at_ += whole * size;
    return whole;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

std::string faissMessage(const std::exception& e) {
  const std::string what = e.what();
  return what.substr(0, what.find('\n'));
}

void checkStructure(const faiss::IndexHNSW& graph, const std::string& where) {
  const faiss::HNSW& h = graph.hnsw;
  const auto rows = static_cast<size_t>(graph.ntotal);
  bool ok = h.levels.size() == rows && h.offsets.size() == rows + 1 && h.offsets.front() == 0 &&
            h.offsets.back() == h.neighbors.size() && h.cum_nneighbor_per_level.size() >= 2 &&
            (rows == 0 || (h.entry_point >= 0 && static_cast<size_t>(h.entry_point) < rows &&
                           h.max_level == h.levels[static_cast<size_t>(h.entry_point)] - 1));
  for (size_t i = 0; ok && i < rows; ++i) {
    const int level = h.levels[i];
    ok = level >= 1 && level < static_cast<int>(h.cum_nneighbor_per_level.size()) &&
         h.offsets[i] <= h.offsets[i + 1] &&
         h.offsets[i + 1] - h.offsets[i] == static_cast<size_t>(h.cum_nneighbor_per_level[level]);
  }
  ok = ok && std::all_of(h.neighbors.begin(), h.neighbors.end(),
                         [rows](faiss::HNSW::storage_idx_t n) {  // -1: an empty slot
                           return n == -1 || (n >= 0 && static_cast<size_t>(n) < rows);
                         });
  if (!ok) throw Error(where + ": index graph is damaged (inconsistent neighbour lists)");
}

}  // namespace

bool isHalfGraphFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[sizeof kMagic] = {};
  return in.read(magic, sizeof magic) && std::memcmp(magic, kMagic, sizeof kMagic) == 0;
}

void saveHalfGraph(const faiss::IndexHNSW& graph, const SimdHalfIP& storage,
                   const std::filesystem::path& file) {
  // The graph as faiss writes it, its storage an empty plain one: the vectors follow apart.
  faiss::IndexScalarQuantizer standIn(static_cast<int>(graph.d), faiss::ScalarQuantizer::QT_fp16,
                                      faiss::METRIC_INNER_PRODUCT);
  faiss::IndexHNSWSQ shell;
  shell.d = graph.d;
  shell.ntotal = graph.ntotal;
  shell.metric_type = graph.metric_type;
  shell.is_trained = true;
  shell.hnsw = graph.hnsw;
  shell.storage = &standIn;
  shell.own_fields = false;
  faiss::VectorIOWriter writer;
  try {
    faiss::write_index(&shell, &writer);
  } catch (const std::exception& e) {
    throw Error(file.string() + ": cannot write index: " + faissMessage(e));
  }
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.graphBytes = writer.data.size();
  header.rows = static_cast<uint64_t>(graph.ntotal);
  header.rowBytes = storage.code_size;
  header.vectorsAt = (sizeof header + header.graphBytes + kAlignment - 1) / kAlignment * kAlignment;
  header.graphHash = XXH3_64bits(writer.data.data(), writer.data.size());
  const size_t vectorBytes = header.rows * header.rowBytes;
  header.vectorsHash = XXH3_64bits(storage.codeData(), vectorBytes);
  io::AtomicFile out(file);
  out.write(&header, sizeof header);
  out.write(writer.data.data(), writer.data.size());
  const std::vector<char> padding(header.vectorsAt - sizeof header - header.graphBytes, '\0');
  out.write(padding.data(), padding.size());
  out.write(storage.codeData(), vectorBytes);
  out.commit();
}

std::unique_ptr<faiss::IndexHNSW> loadHalfGraph(const std::filesystem::path& file) {
  const std::string where = file.string();
  auto mapping = std::make_shared<const io::MappedFile>(file);
  Header header{};
  if (mapping->size() < sizeof header) throw Error(where + ": index is truncated");
  std::memcpy(&header, mapping->data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0) {
    throw Error(where + ": not a kvrecycle graph index");
  }
  const uint64_t size = mapping->size();
  const bool fits = header.graphBytes <= size && header.vectorsAt <= size &&
                    header.vectorsAt >= sizeof header + header.graphBytes && header.rowBytes > 0 &&
                    header.rows <= (size - header.vectorsAt) / header.rowBytes &&
                    header.vectorsAt + header.rows * header.rowBytes == size;
  if (!fits) throw Error(where + ": index is truncated or has a damaged header");
  const uint8_t* graphBytes = mapping->data() + sizeof header;
  const uint8_t* vectors = mapping->data() + header.vectorsAt;
  if (XXH3_64bits(graphBytes, header.graphBytes) != header.graphHash ||
      XXH3_64bits(vectors, header.rows * header.rowBytes) != header.vectorsHash) {
    throw Error(where + ": index fails its checksum");
  }
  std::unique_ptr<faiss::Index> read;
  try {
    MemoryReader reader(graphBytes, header.graphBytes);
    read.reset(faiss::read_index(&reader));
  } catch (const std::exception& e) {
    throw Error(where + ": cannot read index: " + faissMessage(e));
  }
  std::unique_ptr<faiss::IndexHNSW> graph(dynamic_cast<faiss::IndexHNSW*>(read.get()));
  if (!graph) throw Error(where + ": index is not a graph");
  read.release();
  auto* standIn = dynamic_cast<faiss::IndexScalarQuantizer*>(graph->storage);
  if (standIn == nullptr || standIn->ntotal != 0 || standIn->code_size != header.rowBytes ||
      standIn->d != graph->d || graph->metric_type != faiss::METRIC_INNER_PRODUCT ||
      static_cast<uint64_t>(graph->ntotal) != header.rows) {
    throw Error(where + ": index graph does not match its vectors");
  }
  checkStructure(*graph, where);
  delete graph->storage;
  graph->storage = nullptr;
  graph->storage = SimdHalfIP::overMapping(static_cast<int>(graph->d),
                                           static_cast<faiss::Index::idx_t>(header.rows),
                                           std::move(mapping), vectors)
                       .release();
  graph->own_fields = true;
  return graph;
}

}  // namespace kvr
