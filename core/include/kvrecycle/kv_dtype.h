#pragma once
// The precision a K/V entry is stored in. Loads always dequantise into the
// fp32 cache, so only the stored bytes and the fidelity change:
//   fp32 - exact (the default);
//   fp16, bf16 - half the bytes; each value rounded to the nearest of its type;
//   int8 - a quarter of the bytes plus one fp32 scale per token: symmetric,
//          per token (each position's head vector of headDim values shares
//          scale = max|x| / 127), so every position quantises on its own and
//          any prefix (or truncation) of an entry dequantises exactly as the
//          whole would. Per-channel scales (shared along positions) are not
//          offered for that reason.
#include <string>
#include <vector>

namespace kvr {

enum class KVDtype { F32, F16, BF16, Int8 };
const char* kvDtypeName(KVDtype dtype);         // "fp32", "fp16", "bf16", "int8"
KVDtype parseKVDtype(const std::string& name);  // throws kvr::Error when unknown
std::vector<std::string> kvDtypeNames();
const char* kvDtypeStorageName(KVDtype dtype);  // entry metadata: "F32", "F16", "BF16", "I8"
KVDtype kvDtypeFromStorageName(const std::string& name);  // throws kvr::Error when unknown

}  // namespace kvr
