#pragma once
// Entries stored in fp16, bf16 or int8 (kvrecycle/kv_dtype.h): the same
// safetensors layout as fp32 entries (format 2: layers.L.key / .value
// [heads, positions, headDim] and a table of xxh3-64 checksums per block of 64
// positions of each head, here over the stored bytes), plus for int8 the
// per-token scales layers.L.key_scale / .value_scale [heads, positions] in
// fp32, which the entry checksum covers with the token ids and the table.
#include "io/safetensors.h"
#include "kvrecycle/kv_dtype.h"
#include "kvrecycle/kv_store.h"
#include "model/model_impl.h"

namespace kvr {

KVEntryInfo saveCompressedEntry(const KVStore& store, const Model& model, const KVCache& cache,
                                const std::string& text, KVDtype dtype);
// Verifies the blocks it reads and dequantises positions [0, length) into the
// empty cache; throws kvr::Error naming the file on any mismatch.
void loadCompressedPrefix(const SafetensorsFile& file, const KVEntryInfo& info,
                          const ModelConfig& config, int length, KVCache::Impl& cache);

}  // namespace kvr
