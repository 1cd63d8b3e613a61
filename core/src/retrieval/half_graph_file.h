#pragma once
// An HNSW graph over fp16 vectors (SimdHalfIP) in a file of our own layout, so
// that a load maps the vectors instead of reading them: at 100 000 entries
// they are 200 MB, which read into fresh memory cost most of a second here
// (page faults) and mapped from the page cache cost milliseconds.
//
// Layout (little-endian): magic "KVRHNSW1", uint64 graph bytes, uint64 rows,
// uint64 bytes per row, uint64 offset of the vectors, uint64 xxh3-64 of the
// graph, uint64 xxh3-64 of the vectors; the graph (faiss's serialisation of the
// IndexHNSWSQ, its storage an empty stand-in); zero padding to the offset (a
// multiple of 4096); the vectors (fp16 codes, row after row).
#include <faiss/IndexHNSW.h>

#include <filesystem>
#include <memory>

namespace kvr {

struct SimdHalfIP;

bool isHalfGraphFile(const std::filesystem::path& file);

// Atomic; throws kvr::Error naming the file.
void saveHalfGraph(const faiss::IndexHNSW& graph, const SimdHalfIP& storage,
                   const std::filesystem::path& file);

// Checks both checksums and the graph's structure (neighbours within the rows)
// so that a damaged file is an error, never a search out of bounds. Throws
// kvr::Error naming the file.
std::unique_ptr<faiss::IndexHNSW> loadHalfGraph(const std::filesystem::path& file);

}  // namespace kvr
