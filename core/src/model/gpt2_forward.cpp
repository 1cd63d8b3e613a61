// The GPT-2 forward pass, following Hugging Face's GPT2LMHeadModel exactly:
// pre-LayerNorm blocks, fused QKV (Conv1D [in, out]), causal attention scaled
// by 1/sqrt(head_dim), GELU (tanh), final LayerNorm, LM head tied to wte.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>

#include "kvrecycle/error.h"
#include "model/model_impl.h"

namespace kvr {
namespace {

at::Tensor activation(const at::Tensor& x, Activation kind) {
  switch (kind) {
    case Activation::Gelu:
      return at::gelu(x);
    case Activation::Relu:
      return at::relu(x);
    case Activation::GeluNew:
    case Activation::GeluPytorchTanh:
      break;
  }
  return at::gelu(x, "tanh");
}

// Layer l's live flags for keys [0, total) as a [heads, 1, total] "masked out" tensor.
at::Tensor evictedKeys(const KeyMask& mask, int l, int64_t total, const at::Device& device) {
  const at::Tensor live =
      at::from_blob(const_cast<uint8_t*>(mask.row(l, 0)), {mask.heads, mask.capacity}, at::kByte);
  return live.narrow(1, 0, total).eq(0).unsqueeze(1).to(device);
}

// Adds the attention rows of queries at positions >= tap.fromPosition to the tap's sums.
void tapAttention(AttentionTap& tap, int l, const at::Tensor& weights, int64_t past) {
  const int64_t n = weights.size(1), total = weights.size(2);
  const int64_t first = std::max<int64_t>(0, tap.fromPosition - past);
  if (first >= n) return;
  const at::Tensor summed = weights.narrow(1, first, n - first).sum(1).to(at::kCPU).contiguous();
  at::Tensor sums = at::from_blob(tap.row(l, 0), {tap.heads, tap.capacity}, at::kFloat);
  sums.narrow(1, 0, total).add_(summed);
}

}  // namespace

void Model::Impl::checkTokenIds(const std::vector<int>& ids) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= config.vocabSize) {
      throw Error("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                  " is outside the vocabulary (size " + std::to_string(config.vocabSize) + ")");
    }
  }
}

at::Tensor Model::Impl::forwardHidden(KVCache::Impl& cache, const std::vector<int>& ids) const {
  if (ids.empty()) throw Error("forward: no tokens to process");
  checkTokenIds(ids);
  const int64_t past = cache.length();
  const int64_t n = static_cast<int64_t>(ids.size());
  if (past + n > cache.capacity) {
    throw Error("sequence of " + std::to_string(past + n) + " tokens exceeds the K/V capacity of " +
                std::to_string(cache.capacity) + " positions (model context " +
                std::to_string(config.nPositions) + ")");
  }
  c10::InferenceMode inference;
  const int64_t heads = config.nHead, headDim = config.headDim(), embd = config.nEmbd;
  const int64_t total = past + n;
  const auto longOptions = at::TensorOptions().dtype(at::kLong);

  std::vector<int64_t> idValues(ids.begin(), ids.end());
  const at::Tensor idTensor = at::tensor(idValues, longOptions).to(device);
  const at::Tensor positions = at::arange(past, total, longOptions.device(device));
  at::Tensor hidden =
      weights.wte.index_select(0, idTensor) + weights.wpe.index_select(0, positions);

  // Query i sits at position past + i and may attend to keys 0..past + i.
  at::Tensor masked;
  if (n > 1) {
    masked = at::arange(0, total, longOptions.device(device)).unsqueeze(0) > positions.unsqueeze(1);
  }
  const at::Tensor scale = at::full({}, std::sqrt(static_cast<double>(headDim)), hidden.options());
  cache.noteWritten(static_cast<int>(total));  // before the layers: a failure part-way still counts

  for (size_t l = 0; l < weights.layers.size(); ++l) {
    const LayerWeights& w = weights.layers[l];
    at::Tensor x = at::layer_norm(hidden, {embd}, w.ln1Weight, w.ln1Bias, config.layerNormEpsilon);
    const at::Tensor qkv = at::addmm(w.attnBias, x, w.attnWeight)  // [n, 3E]
                               .view({n, 3, heads, headDim})
                               .permute({1, 2, 0, 3});  // [3, H, n, D]
    cache.keys[l].narrow(1, past, n).copy_(qkv[1]);
    cache.values[l].narrow(1, past, n).copy_(qkv[2]);
    const at::Tensor keys = cache.keys[l].narrow(1, 0, total);  // [H, total, D]
    const at::Tensor values = cache.values[l].narrow(1, 0, total);

    at::Tensor scores = at::matmul(qkv[0], keys.transpose(1, 2)) / scale;  // [H, n, total]
    if (config.scaleAttnByInverseLayerIdx) scores = scores / static_cast<double>(l + 1);
    if (masked.defined()) scores.masked_fill_(masked, -std::numeric_limits<float>::infinity());
    if (cache.keyMask != nullptr) {
      scores.masked_fill_(evictedKeys(*cache.keyMask, static_cast<int>(l), total, device),
                          -std::numeric_limits<float>::infinity());
    }
    const at::Tensor weightsOfKeys = at::softmax(scores, -1);  // [H, n, total]
    if (cache.tap != nullptr) tapAttention(*cache.tap, static_cast<int>(l), weightsOfKeys, past);
    const at::Tensor context = at::matmul(weightsOfKeys, values)  // [H, n, D]
                                   .permute({1, 0, 2})
                                   .reshape({n, embd});
    hidden = hidden + at::addmm(w.attnProjBias, context, w.attnProjWeight);

    x = at::layer_norm(hidden, {embd}, w.ln2Weight, w.ln2Bias, config.layerNormEpsilon);
    x = activation(at::addmm(w.fcBias, x, w.fcWeight), config.activation);
    hidden = hidden + at::addmm(w.mlpProjBias, x, w.mlpProjWeight);
  }
  cache.tokens.insert(cache.tokens.end(), ids.begin(), ids.end());
  return hidden;
}

at::Tensor Model::Impl::forward(KVCache::Impl& cache, const std::vector<int>& ids,
                                bool allLogits) const {
  c10::InferenceMode inference;
  at::Tensor hidden = forwardHidden(cache, ids);
  // Only the last row is needed to continue generation; skip the rest of the LM head.
  if (!allLogits) hidden = hidden.narrow(0, hidden.size(0) - 1, 1);
  hidden = at::layer_norm(hidden, {config.nEmbd}, weights.lnfWeight, weights.lnfBias,
                          config.layerNormEpsilon);
  return at::matmul(hidden, weights.lmHead.t());  // [rows, vocab]
}

}  // namespace kvr
