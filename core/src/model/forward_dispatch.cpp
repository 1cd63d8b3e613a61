// Where a forward pass goes: the torch-free CPU path (model/cpu/forward_cpu.cpp)
// or, on CUDA, the torch path (model/gpt2_forward.cpp). Checks its input first.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cstring>

#include "kvrecycle/error.h"
#include "model/model_impl.h"

namespace kvr {

void Model::Impl::checkForward(const KVCache::Impl& cache, const int* ids, int n) const {
  if (n <= 0) throw Error("forward: no tokens to process");
  for (int i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= config.vocabSize) {
      throw Error("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                  " is outside the vocabulary (size " + std::to_string(config.vocabSize) + ")");
    }
  }
  const int total = cache.length() + n;
  if (total > cache.capacity) {
    throw Error("sequence of " + std::to_string(total) + " tokens exceeds the K/V capacity of " +
                std::to_string(cache.capacity) + " positions (model context " +
                std::to_string(config.nPositions) + ")");
  }
}

const float* Model::Impl::forward(KVCache::Impl& cache, const int* ids, int n,
                                  bool allLogits) const {
  checkForward(cache, ids, n);
  if (!device.is_cuda()) return forwardCpu(cache, ids, n, allLogits);
  const at::Tensor logits = forwardTorch(cache, ids, n, allLogits).to(at::kCPU).contiguous();
  std::vector<float>& out = cache.scratch.logits;
  if (out.size() < static_cast<size_t>(logits.numel())) out.resize(logits.numel());
  std::memcpy(out.data(), logits.data_ptr<float>(), sizeof(float) * logits.numel());
  return out.data();
}

void Model::Impl::meanHidden(KVCache::Impl& cache, const std::vector<int>& ids, float* mean) const {
  const int n = static_cast<int>(ids.size());
  checkForward(cache, ids.data(), n);
  if (device.is_cuda()) {
    c10::InferenceMode inference;
    const at::Tensor hidden =
        at::layer_norm(forwardHiddenTorch(cache, ids.data(), n), {config.nEmbd}, weights.lnfWeight,
                       weights.lnfBias, config.layerNormEpsilon);
    const at::Tensor m = hidden.mean(0).to(at::kCPU).contiguous();
    std::memcpy(mean, m.data_ptr<float>(), sizeof(float) * m.numel());
    return;
  }
  const float* hidden = forwardHiddenCpu(cache, ids.data(), n);
  const int e = config.nEmbd;
  std::vector<double> sum(static_cast<size_t>(e), 0.0);
  std::vector<float> normed(static_cast<size_t>(e));
  for (int r = 0; r < n; ++r) {
    cpu::layerNormRow(hidden + static_cast<size_t>(r) * e, cpuWeights.lnfWeight, cpuWeights.lnfBias,
                      config.layerNormEpsilon, normed.data(), e);
    for (int j = 0; j < e; ++j) sum[j] += normed[j];
  }
  for (int j = 0; j < e; ++j) mean[j] = static_cast<float>(sum[j] / n);
}

}  // namespace kvr
