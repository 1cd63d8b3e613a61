#pragma once
// A GPT-2-family language model on CPU or CUDA, and its K/V cache. This header
// exposes no torch types, so Qt code may include it (Qt's keyword macros break torch headers).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kvrecycle/model_config.h"
#include "kvrecycle/tokenizer.h"
#include "kvrecycle/weights_report.h"

namespace kvr {

enum class DevicePreference { Auto, Cpu, Cuda };
// "auto", "cpu" or "cuda"; throws kvr::Error otherwise.
DevicePreference parseDevicePreference(const std::string& name);

// The precision the CPU forward reads its weight matrices in. F32 is the
// default and the reference; BF16 keeps each matrix weight's upper 16 bits
// (rounded to nearest even) and computes in float32 from them: half the bytes
// a decode step streams, at a fidelity cost bench-engine reports. Never the
// default, CPU only.
enum class WeightsDtype { F32, BF16 };
const char* weightsDtypeName(WeightsDtype dtype);  // "fp32", "bf16"
// "fp32" or "bf16"; throws kvr::Error otherwise.
WeightsDtype parseWeightsDtype(const std::string& name);

struct LoadOptions {
  DevicePreference device = DevicePreference::Auto;
  int threads = 0;                                // intra-op threads; 0 = all cores
  WeightsDtype weightsDtype = WeightsDtype::F32;  // BF16 needs the CPU
  // Tokenizer used when the model directory has none (default: the data directory's).
  std::filesystem::path tokenizerDirectory;
};

class Model;

// Per-layer K and V for up to capacity() positions, preallocated once. It
// remembers the token ids it holds so that a prefix can be verified before reuse.
class KVCache {
 public:
  ~KVCache();
  KVCache(const KVCache&) = delete;
  KVCache& operator=(const KVCache&) = delete;

  int length() const;
  int capacity() const;
  const std::vector<int>& tokens() const;
  // Keeps positions [0, length) and forgets the rest; truncate(0) empties it.
  // The forgotten positions keep their bytes until overwritten.
  void truncate(int length);
  // Empties the cache and fills every position written since the last reset
  // with NaN, so that a position read before it is written again poisons the
  // logits instead of silently reusing stale K/V. Fresh caches start poisoned.
  void reset();
  // Copies the first `length` positions of `other` (same model shape) into this cache.
  void copyPrefixFrom(const KVCache& other, int length);
  // Bytes one position occupies across all layers (K and V, float32).
  int64_t bytesPerPosition() const;

  struct Impl;  // engine internals (core/src/model/model_impl.h), reached through EngineAccess

 private:
  friend class Model;
  friend struct EngineAccess;
  explicit KVCache(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Model {
 public:
  // `dir` may be a model directory or a hub cache directory. Throws kvr::Error
  // naming the file (and tensor) at fault.
  static std::unique_ptr<Model> load(const std::filesystem::path& dir,
                                     const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const;
  const std::filesystem::path& directory() const;  // the resolved snapshot directory
  // The weights file loaded, or the index of a sharded checkpoint.
  const std::filesystem::path& weightsFile() const;
  // Which file and format were loaded, and which stored tensors were ignored.
  const WeightsReport& weights() const;
  // xxh3-128 of the architecture and the float32 weights, hex: identifies K/V
  // compatibility. The same weights give the same fingerprint in every file
  // format (safetensors, torch.save zip or legacy, sharded or not). With bf16
  // weights it ends in ":bf16-weights" (their K/V differ from float32's, so
  // neither may reuse the other's); weights().fingerprint stays the file's.
  const std::string& fingerprint() const;
  WeightsDtype weightsDtype() const;
  std::string deviceName() const;  // "cpu" or "cuda:N"
  bool onCuda() const;
  int threads() const;
  // How the threads are split between torch and the BLAS, e.g.
  // "2 threads (openblas 2, torch intra-op 1)".
  const std::string& threading() const;
  const Gpt2Tokenizer& tokenizer() const;

  // capacity 0 = the model's context length.
  std::unique_ptr<KVCache> newCache(int capacity = 0) const;

  // Runs `tokens` at positions cache.length() onwards, appends their K/V to the
  // cache and returns logits: of the last token ([vocab]) or of every token
  // ([tokens.size() * vocab], row-major) when allLogits is set.
  std::vector<float> forward(KVCache& cache, const std::vector<int>& tokens,
                             bool allLogits = false) const;

  // Mean over positions of the final (ln_f) hidden states of `tokens`, on a
  // scratch cache: a sentence embedding from the model itself. At most the
  // first context-length tokens are used.
  std::vector<float> meanHiddenState(const std::vector<int>& tokens) const;

  // Waits for queued device work (a no-op on CPU); call before reading a clock.
  void synchronize() const;

  // What the CPU forward runs on, e.g. "avx2-fma kernels, openblas sgemm, 2
  // threads"; "torch" on CUDA.
  std::string forwardKernels() const;
  // Per-op wall time of the CPU forward, summed from the last enable on (a
  // benchmark's breakdown; costs a clock read per op). Empty on CUDA.
  struct OpTime {
    std::string op;  // "qkv", "attention", "lm_head", ...
    double seconds = 0;
    long calls = 0;
  };
  void setOpProfiling(bool enabled) const;
  std::vector<OpTime> opTimes() const;

  struct Impl;  // engine internals (core/src/model/model_impl.h), reached through EngineAccess

 private:
  friend struct EngineAccess;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvr
