#pragma once
// The torch-free CPU forward pass: raw views of the weights (laid out once at
// load for streaming), the per-cache scratch that keeps allocations out of the
// decode step, and the per-op timer behind `bench-engine --profile`.
#include <array>
#include <cstdint>
#include <vector>

namespace kvr::cpu {

// Every matrix is [out, in] (the transpose of GPT-2's Conv1D), so an output is
// one row's dot product with the input. Exactly one of its two views is set:
// float32 rows (row-major), or bfloat16 (the upper half of a float32) in
// panels of eight rows (model/cpu/bf16_panels.h).
struct Matrix {
  const float* f32 = nullptr;
  const uint16_t* bf16 = nullptr;
};

struct LayerView {
  const float *ln1Weight, *ln1Bias;
  Matrix attn;  // [3E, E]
  const float* attnBias;
  Matrix attnProj;  // [E, E]
  const float *attnProjBias, *ln2Weight, *ln2Bias;
  Matrix fc;  // [inner, E]
  const float* fcBias;
  Matrix mlpProj;  // [E, inner]
  const float* mlpProjBias;
};

struct WeightView {
  const float *wte, *wpe, *lnfWeight, *lnfBias;  // wte stays float32 for the embedding
  Matrix lmHead;                                 // [vocab, E]
  std::vector<LayerView> layers;
};

// Grown on demand, never shrunk: a decode step after the first allocates nothing.
struct Scratch {
  std::vector<float> hidden, normed, qkv, context, inner, scores, logits;
  std::vector<float> expanded;  // per thread: a block of bf16 rows as float32
};

// y = (x - mean) / sqrt(var + eps) * gamma + beta over n values (y may be x).
void layerNormRow(const float* x, const float* gamma, const float* beta, double eps, float* y,
                  int n);

// fc includes its activation (fused into the same pass over the rows).
enum class Op { Embed, LayerNorm, Qkv, Attention, AttnProj, Fc, MlpProj, LmHead, Count };
const char* opName(Op op);

// Seconds per op, summed over forwards while enabled.
struct OpTimes {
  std::array<double, static_cast<size_t>(Op::Count)> seconds{};
  std::array<long, static_cast<size_t>(Op::Count)> calls{};
};

}  // namespace kvr::cpu
