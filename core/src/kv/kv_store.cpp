#include "kvrecycle/kv_store.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include "io/fingerprint.h"
#include "io/process_liveness.h"
#include "io/safetensors.h"
#include "kv/fault_injection.h"
#include "kv/kv_compression.h"
#include "kv/kv_entry_header.h"
#include "kvrecycle/error.h"
#include "kvrecycle/timestamps.h"
#include "model/model_impl.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

std::string keyName(size_t layer) {
  return "layers." + std::to_string(layer) + ".key";
}
std::string valueName(size_t layer) {
  return "layers." + std::to_string(layer) + ".value";
}

// "<name>.tmp.<pid>" files whose writer process no longer exists.
void removeStaleTemporaryFiles(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t mark = name.rfind(".tmp.");
    if (mark == std::string::npos) continue;
    const std::string pid = name.substr(mark + 5);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!io::processExists(std::stoll(pid))) {
      fs::remove(entry.path(), ec);
    }
  }
}

std::string checksumOf(const uint8_t* data, size_t size) {
  Fingerprinter fp;
  fp.add(data, size);
  return "xxh3-128:" + fp.hex();
}

// Format 2's entry checksum: the token ids as stored and the block table.
std::string tableChecksum(const std::string& tokenIdsJson, const void* table, size_t bytes) {
  Fingerprinter fp;
  fp.add(tokenIdsJson);
  fp.add(table, bytes);
  return "xxh3-128:" + fp.hex();
}

int64_t blocksFor(int64_t positions) {
  return (positions + kKVChecksumBlock - 1) / kKVChecksumBlock;
}

// Where the blocks of one [heads, stored, headDim] float tensor sit in the table.
struct BlockLayout {
  int64_t heads, stored, headDim, blocks;
  size_t floatsPerPosition() const { return static_cast<size_t>(headDim); }
  uint64_t hash(const float* tensor, int64_t head, int64_t block) const {
    const int64_t first = block * kKVChecksumBlock;
    const int64_t count = std::min<int64_t>(kKVChecksumBlock, stored - first);
    return XXH3_64bits(tensor + (head * stored + first) * headDim,
                       static_cast<size_t>(count * headDim) * sizeof(float));
  }
};

}  // namespace

KVStore::KVStore(fs::path directory) : directory_(std::move(directory)) {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw Error(directory_.string() + ": cannot create K/V store: " + ec.message());
  removeStaleTemporaryFiles(directory_);
}

std::vector<std::string> KVStore::entryIds() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    if (entry.path().extension() == ".safetensors") ids.push_back(entry.path().stem().string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

KVEntryInfo KVStore::verify(const Model& model, const std::string& entryId) const {
  const KVEntryInfo header = inspect(entryId);
  if (header.tokenIds.empty()) throw Error(pathFor(entryId).string() + ": entry holds no tokens");
  // Sized to the entry (newCache caps it at the model's context), not to the whole context.
  const auto cache = model.newCache(static_cast<int>(header.tokenIds.size()));
  return loadPrefix(model, entryId, cache->capacity(), *cache);
}

std::string KVStore::entryIdFor(const std::string& modelFingerprint,
                                const std::vector<int>& tokens) {
  Fingerprinter fp;
  fp.add(modelFingerprint);
  fp.add(tokens.data(), tokens.size() * sizeof(int));
  return fp.hex();
}

fs::path KVStore::pathFor(const std::string& entryId) const {
  return directory_ / (entryId + ".safetensors");
}

bool KVStore::contains(const std::string& entryId) const {
  return fs::exists(pathFor(entryId));
}

KVEntryInfo KVStore::save(const Model& model, const KVCache& cache, const std::string& text) const {
  const KVCache::Impl& c = EngineAccess::of(cache);
  const int64_t length = c.length();
  if (length == 0) throw Error("cannot store an empty K/V cache");
  c10::InferenceMode inference;
  // Host copies of positions [0, length) in file order: key, value per layer.
  const ModelConfig& config = model.config();
  const BlockLayout layout{config.nHead, length, config.headDim(), blocksFor(length)};
  std::vector<at::Tensor> host;
  std::vector<TensorToWrite> tensors;
  // [layer][key, value][head][block]: xxh3-64 of each block's bytes.
  std::vector<uint64_t> table;
  table.reserve(c.keys.size() * 2 * static_cast<size_t>(layout.heads * layout.blocks));
  for (size_t l = 0; l < c.keys.size(); ++l) {
    for (const bool isKey : {true, false}) {
      const at::Tensor& buffer = isKey ? c.keys[l] : c.values[l];
      host.push_back(buffer.narrow(1, 0, length).to(at::kCPU).contiguous());
      const at::Tensor& t = host.back();
      tensors.push_back(
          {isKey ? keyName(l) : valueName(l), DType::F32, t.sizes().vec(), t.data_ptr<float>()});
      for (int64_t h = 0; h < layout.heads; ++h) {
        for (int64_t b = 0; b < layout.blocks; ++b)
          table.push_back(layout.hash(t.data_ptr<float>(), h, b));
      }
    }
  }
  tensors.push_back({kKVChecksumTable,
                     DType::I64,
                     {static_cast<int64_t>(c.keys.size()), 2, layout.heads, layout.blocks},
                     table.data()});
  KVEntryInfo info;
  info.modelFingerprint = model.fingerprint();
  info.tokenIds = c.tokens;
  info.entryId = entryIdFor(info.modelFingerprint, info.tokenIds);
  info.path = pathFor(info.entryId);
  info.text = text;
  info.dtype = "F32";
  info.createdAt = utcNowIso8601();
  info.formatVersion = kKVEntryFormatVersion;
  info.tokenIdsJson = nlohmann::json(info.tokenIds).dump();
  info.checksum = tableChecksum(info.tokenIdsJson, table.data(), table.size() * sizeof(uint64_t));
  writeSafetensors(info.path, tensors, kvEntryMetadata(info, config, length));
  info.bytes = static_cast<int64_t>(fs::file_size(info.path));
  return info;
}

bool KVStore::dropFromPageCache(const std::string& entryId) const {
  const fs::path path = pathFor(entryId);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool dropped = ::fstat(fd, &st) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  // Whether it took effect: mincore() on a fresh mapping says which pages are resident.
  if (dropped && st.st_size > 0) {
    const size_t size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      dropped = false;
    } else {
      const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
      std::vector<unsigned char> resident((size + page - 1) / page);
      dropped = ::mincore(map, size, resident.data()) == 0 &&
                std::none_of(resident.begin(), resident.end(),
                             [](unsigned char r) { return (r & 1) != 0; });
      ::munmap(map, size);
    }
  }
  ::close(fd);
  return dropped;
}

KVEntryInfo KVStore::inspect(const std::string& entryId) const {
  const SafetensorsFile file(pathFor(entryId));
  return parseKVEntryHeader(file.header(), file.path(), file.size());
}

namespace {

// Verifies and copies the used blocks of one head of one stored tensor (i:
// layer * 2 + 0 for keys, 1 for values) straight from the mapped file into
// the cache, each block checked while it is still in the CPU's cache.
// Reads [offset, offset + bytes) of the file with pread: a copy from the page
// cache, without the page faults of touching a fresh mapping (on a VM, where
// faults are dear, a warm 35 MB load took 3x memcpy's time through the mapping).
void readAt(int fd, uint64_t offset, uint8_t* into, size_t bytes, const fs::path& path) {
  while (bytes > 0) {
    const ssize_t got = ::pread(fd, into, bytes, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      throw Error(path.string() + ": cannot read K/V data: " +
                  (got < 0 ? std::strerror(errno) : "file ends early"));
    }
    into += got;
    offset += static_cast<uint64_t>(got);
    bytes -= static_cast<size_t>(got);
  }
}

// One head of one tensor: its used blocks read into `scratch`, each checked
// against the table, then the first `length` positions copied to the cache.
void loadHead(const SafetensorsFile& file, int fd, const BlockLayout& layout, const uint8_t* table,
              const uint8_t* source, size_t i, int64_t h, int length, uint8_t* destination,
              int capacity, std::vector<uint8_t>& scratch) {
  const int64_t usedBlocks = blocksFor(length);
  const size_t positionBytes = layout.floatsPerPosition() * sizeof(float);
  const uint8_t* head = source + static_cast<size_t>(h * layout.stored) * positionBytes;
  const size_t readBytes =
      static_cast<size_t>(std::min<int64_t>(usedBlocks * kKVChecksumBlock, layout.stored)) *
      positionBytes;
  scratch.resize(readBytes);
  readAt(fd, static_cast<uint64_t>(head - file.bytes()), scratch.data(), readBytes, file.path());
  for (int64_t b = 0; b < usedBlocks; ++b) {
    const int64_t first = b * kKVChecksumBlock;
    const uint8_t* block = scratch.data() + static_cast<size_t>(first) * positionBytes;
    const size_t slot = (i * static_cast<size_t>(layout.heads) + static_cast<size_t>(h)) *
                            static_cast<size_t>(layout.blocks) +
                        static_cast<size_t>(b);
    uint64_t expected = 0;
    std::memcpy(&expected, table + slot * sizeof expected, sizeof expected);
    const int64_t count = std::min<int64_t>(kKVChecksumBlock, layout.stored - first);
    if (XXH3_64bits(block, static_cast<size_t>(count) * positionBytes) != expected) {
      throw Error(file.path().string() + ": checksum mismatch in layer " + std::to_string(i / 2) +
                  (i % 2 == 0 ? " keys" : " values") + ", head " + std::to_string(h) +
                  ", positions " + std::to_string(first) + "-" + std::to_string(first + count - 1) +
                  " (corrupt K/V file)");
    }
    if (destination != nullptr) {
      const int64_t used = std::min<int64_t>(kKVChecksumBlock, length - first);
      std::memcpy(destination + static_cast<size_t>(h * capacity + first) * positionBytes, block,
                  static_cast<size_t>(used) * positionBytes);
    }
  }
}

void loadVerifiedBlocks(const SafetensorsFile& file, const KVEntryInfo& info,
                        const std::vector<const uint8_t*>& sources,
                        const std::vector<int64_t>& shape, int length, bool copy, KVCache::Impl& c,
                        cpu::WorkerPool* pool) {
  const std::string where = file.path().string();
  const BlockLayout layout{shape[0], shape[1], shape[2], blocksFor(shape[1])};
  const TensorInfo* t = file.find(kKVChecksumTable);
  const std::vector<int64_t> tableShape = {static_cast<int64_t>(sources.size() / 2), 2,
                                           layout.heads, layout.blocks};
  if (t == nullptr || t->dtype != DType::I64 || t->shape != tableShape) {
    throw Error(where + ": checksum table is missing or does not match the entry");
  }
  const uint8_t* table = file.data(*t);
  if (tableChecksum(info.tokenIdsJson, table, t->end - t->begin) != info.checksum) {
    throw Error(where +
                ": checksum mismatch in the token ids or checksum table (corrupt K/V file)");
  }
  const bool onCpu = c.keys.front().device().is_cpu();
  const auto targetOf = [&c](size_t i) -> at::Tensor& {
    return i % 2 == 0 ? c.keys[i / 2] : c.values[i / 2];
  };
  const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(where + ": cannot open: " + std::strerror(errno));
  const std::shared_ptr<void> closeFd(nullptr, [fd](void*) { ::close(fd); });
  const int items = static_cast<int>(sources.size() * static_cast<size_t>(layout.heads));
  const auto loadItems = [&](int begin, int end) {
    std::vector<uint8_t> scratch;  // one head's blocks: stays in cache while checked and copied
    for (int item = begin; item < end; ++item) {
      const size_t i = static_cast<size_t>(item) / static_cast<size_t>(layout.heads);
      uint8_t* destination =
          onCpu && copy ? static_cast<uint8_t*>(targetOf(i).data_ptr()) : nullptr;
      loadHead(file, fd, layout, table, sources[i], i, item % layout.heads, length, destination,
               c.capacity, scratch);
    }
  };
  if (pool == nullptr) {
    loadItems(0, items);
  } else {
    std::vector<std::exception_ptr> failures(static_cast<size_t>(pool->threads()));
    pool->run([&](int part, int parts) {
      int begin = 0, end = 0;
      cpu::partRange(items, part, parts, 1, begin, end);
      try {
        loadItems(begin, end);
      } catch (...) {
        failures[static_cast<size_t>(part)] = std::current_exception();
      }
    });
    for (const std::exception_ptr& failure : failures) {
      if (failure) std::rethrow_exception(failure);
    }
  }
  if (onCpu || !copy) return;
  for (size_t i = 0; i < sources.size(); ++i) {
    const at::Tensor source = at::from_blob(const_cast<uint8_t*>(sources[i]), shape,
                                            at::TensorOptions().dtype(at::kFloat));
    targetOf(i).narrow(1, 0, length).copy_(source.narrow(1, 0, length));
  }
}

}  // namespace

KVEntryInfo KVStore::loadPrefix(const Model& model, const std::string& entryId, int length,
                                KVCache& cache) const {
  const SafetensorsFile file(pathFor(entryId));
  const std::string where = file.path().string();
  KVEntryInfo info = parseKVEntryHeader(file.header(), file.path(), file.size());
  if (info.modelFingerprint != model.fingerprint()) {
    throw Error(where + ": K/V entry was made by model " + info.modelFingerprint +
                ", not by the loaded model " + model.fingerprint());
  }
  const ModelConfig& config = model.config();
  const int64_t stored = static_cast<int64_t>(info.tokenIds.size());
  if (length < 1 || length > stored || length > cache.capacity()) {
    throw Error(where + ": cannot load " + std::to_string(length) + " positions from an entry of " +
                std::to_string(stored));
  }
  KVCache::Impl& c = EngineAccess::of(cache);
  if (c.length() != 0) throw Error("K/V must be loaded into an empty cache");
  if (info.dtype != kvDtypeStorageName(KVDtype::F32)) {  // fp16, bf16, int8
    c10::InferenceMode inference;
    loadCompressedPrefix(file, info, config, length, c);
    c.tokens.assign(info.tokenIds.begin(), info.tokenIds.begin() + length);
    return info;
  }
  const std::vector<int64_t> shape = {config.nHead, stored, config.headDim()};
  std::vector<const uint8_t*> sources;  // [layer * 2 + (0 key, 1 value)]
  for (size_t l = 0; l < c.keys.size(); ++l) {
    for (const bool isKey : {true, false}) {
      const std::string name = isKey ? keyName(l) : valueName(l);
      const TensorInfo* t = file.find(name);
      if (t == nullptr || t->dtype != DType::F32 || t->shape != shape) {
        throw Error(where + ": tensor '" + name + "' is missing or does not match the model");
      }
      sources.push_back(file.data(*t));
    }
  }
  // A silent storage bug on demand: nothing is copied, success is reported.
  const bool copy = !faultInjected("skip-kv-copy");
  c.noteWritten(length);  // even a load that fails part-way may have written these
  c10::InferenceMode inference;
  if (info.formatVersion == 1) {
    const uint64_t dataOffset = file.header().dataOffset;
    if (checksumOf(file.bytes() + dataOffset, file.size() - dataOffset) != info.checksum) {
      throw Error(where + ": checksum mismatch (corrupt K/V file)");
    }
    for (size_t i = 0; i < sources.size() && copy; ++i) {
      at::Tensor& target = i % 2 == 0 ? c.keys[i / 2] : c.values[i / 2];
      const at::Tensor source = at::from_blob(const_cast<uint8_t*>(sources[i]), shape,
                                              at::TensorOptions().dtype(at::kFloat));
      target.narrow(1, 0, length).copy_(source.narrow(1, 0, length));
    }
  } else {
    loadVerifiedBlocks(file, info, sources, shape, length, copy, c,
                       EngineAccess::of(model).pool.get());
  }
  c.tokens.assign(info.tokenIds.begin(), info.tokenIds.begin() + length);
  return info;
}

}  // namespace kvr
