#pragma once
// Engine internals shared by the model, cache and generation sources (torch inside).
#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kvrecycle/model.h"
#include "kvrecycle/weights_report.h"
#include "model/attention_hooks.h"
#include "model/cpu/forward_cpu.h"
#include "model/cpu/worker_pool.h"
#include "model/gpt2_layout.h"

namespace kvr {

// The Conv1D matrices have shape [in, out]; on the CPU their memory is laid
// out [out, in] (strides {1, in}, see layOutForCpu) for the torch-free forward.
struct LayerWeights {
  at::Tensor ln1Weight, ln1Bias;
  at::Tensor attnWeight, attnBias;
  at::Tensor attnProjWeight, attnProjBias;
  at::Tensor ln2Weight, ln2Bias;
  at::Tensor fcWeight, fcBias;
  at::Tensor mlpProjWeight, mlpProjBias;
};

struct GptWeights {
  at::Tensor wte, wpe, lnfWeight, lnfBias, lmHead;
  std::vector<LayerWeights> layers;

  // The tensor a layout entry names (model/gpt2_layout.h); layers must exist.
  at::Tensor& at(const WeightSpec& spec);
};

// Re-lays the Conv1D matrices out [out, in] in place (same shapes, torch still
// reads them) and returns raw views for model/cpu/forward_cpu.cpp. With BF16,
// the matrices (and the LM head) become bfloat16 copies [out, in] kept in
// bf16Matrices, and the Conv1D float32 tensors are freed (torch cannot run).
cpu::WeightView layOutForCpu(GptWeights& weights, WeightsDtype dtype, cpu::WorkerPool& pool,
                             std::vector<at::Tensor>& bf16Matrices);

struct KVCache::Impl {
  std::vector<at::Tensor> keys;    // per layer [heads, capacity, headDim]
  std::vector<at::Tensor> values;  // per layer [heads, capacity, headDim]
  std::vector<int> tokens;         // ids at positions [0, length)
  int capacity = 0;
  int written = 0;       // positions [0, written) may hold K/V since the last reset
  cpu::Scratch scratch;  // the forward's buffers, reused step after step
  // Set by eviction only (core/src/eviction); null: every position attends, nothing is tapped.
  const KeyMask* keyMask = nullptr;
  AttentionTap* tap = nullptr;
  int length() const { return static_cast<int>(tokens.size()); }
  void noteWritten(int end) { written = std::max(written, end); }
};

struct Model::Impl {
  ModelConfig config;
  std::filesystem::path directory;
  WeightsReport weightsReport;  // file, format, fingerprint
  WeightsDtype weightsDtype = WeightsDtype::F32;
  std::string fingerprint;  // the weights', marked when bf16 (Model::fingerprint)
  at::Device device{at::kCPU};
  int threads = 1;
  std::string threadPlan;
  GptWeights weights;
  std::unique_ptr<Gpt2Tokenizer> tokenizer;
  cpu::WeightView cpuWeights;             // CPU only: views of `weights` or of bf16Matrices
  std::vector<at::Tensor> bf16Matrices;   // CPU with bf16 weights only
  std::unique_ptr<cpu::WorkerPool> pool;  // CPU only: the forward's threads
  cpu::OpTimes* profile = nullptr;        // per-op timing while profiling
  std::unique_ptr<cpu::OpTimes> profileTimes;

  // Logits [rows, vocab] of the last token only, or of every token when
  // allLogits, for ids[0, n) placed after the cache's content; appends their
  // K/V to the cache. Valid until the cache's next forward.
  const float* forward(KVCache::Impl& cache, const int* ids, int n, bool allLogits) const;
  // Mean over the tokens of the final-LayerNormed hidden states, into mean[embd].
  void meanHidden(KVCache::Impl& cache, const std::vector<int>& ids, float* mean) const;
  // Throws on an empty batch, an id outside the vocabulary, or a full cache.
  void checkForward(const KVCache::Impl& cache, const int* ids, int n) const;

  // The CPU path (model/cpu/forward_cpu.cpp): logits, or the residual stream
  // after the last block [n, embd] (before ln_f), in the cache's scratch.
  const float* forwardCpu(KVCache::Impl& cache, const int* ids, int n, bool allLogits) const;
  const float* forwardHiddenCpu(KVCache::Impl& cache, const int* ids, int n) const;
  // The torch path, for CUDA (model/gpt2_forward.cpp).
  at::Tensor forwardHiddenTorch(KVCache::Impl& cache, const int* ids, int n) const;
  at::Tensor forwardTorch(KVCache::Impl& cache, const int* ids, int n, bool allLogits) const;
};

// The engine's only way into a cache's or a model's internals; app and ui
// cannot name it (this header is not public).
struct EngineAccess {
  static KVCache::Impl& of(KVCache& cache) { return *cache.impl_; }
  static const KVCache::Impl& of(const KVCache& cache) { return *cache.impl_; }
  static const Model::Impl& of(const Model& model) { return *model.impl_; }
};

}  // namespace kvr
