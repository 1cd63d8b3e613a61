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
#include "model/gpt2_layout.h"

namespace kvr {

struct LayerWeights {
  at::Tensor ln1Weight, ln1Bias;
  at::Tensor attnWeight, attnBias;  // Conv1D layout [in, out]
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

struct KVCache::Impl {
  std::vector<at::Tensor> keys;    // per layer [heads, capacity, headDim]
  std::vector<at::Tensor> values;  // per layer [heads, capacity, headDim]
  std::vector<int> tokens;         // ids at positions [0, length)
  int capacity = 0;
  int written = 0;  // positions [0, written) may hold K/V since the last reset
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
  at::Device device{at::kCPU};
  int threads = 1;
  std::string threadPlan;
  GptWeights weights;
  std::unique_ptr<Gpt2Tokenizer> tokenizer;

  // Residual stream after the last block [n, embd] (before ln_f) for `ids`
  // placed after the cache's content; appends their K/V to the cache.
  at::Tensor forwardHidden(KVCache::Impl& cache, const std::vector<int>& ids) const;
  // Logits [rows, vocab]: of the last token only, or of every token when allLogits.
  at::Tensor forward(KVCache::Impl& cache, const std::vector<int>& ids, bool allLogits) const;
  void checkTokenIds(const std::vector<int>& ids) const;
};

// The engine's only way into a cache's or a model's internals; app and ui
// cannot name it (this header is not public).
struct EngineAccess {
  static KVCache::Impl& of(KVCache& cache) { return *cache.impl_; }
  static const KVCache::Impl& of(const KVCache& cache) { return *cache.impl_; }
  static const Model::Impl& of(const Model& model) { return *model.impl_; }
};

}  // namespace kvr
