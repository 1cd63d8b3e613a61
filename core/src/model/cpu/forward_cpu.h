#pragma once
// The torch-free CPU forward pass: raw views of the weights (laid out once at
// load for streaming), the per-cache scratch that keeps allocations out of the
// decode step, and the per-op timer behind `bench-engine --profile`.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <new>
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

// Allocates each buffer of one kind at the same offset within a 4 KiB page.
// Where the heap happens to put the scratch buffers otherwise decides how
// often a kernel's loads of one alias its stores to another at the same
// address modulo 4 KiB (which the CPU then serialises): two caches of one
// model ran the same 32-token prefill 4-7 % apart, in a direction that
// followed their order of creation, a bias between a benchmark's arms.
template <typename T, size_t OffsetBytes>
struct PageOffsetAllocator {
  static_assert(OffsetBytes % 64 == 0 && OffsetBytes < 4096, "a cache-line offset in a page");
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = PageOffsetAllocator<U, OffsetBytes>;
  };
  PageOffsetAllocator() = default;
  template <typename U>
  explicit PageOffsetAllocator(const PageOffsetAllocator<U, OffsetBytes>&) {}
  T* allocate(size_t n) {
    constexpr size_t kPage = 4096;
    const size_t bytes = (OffsetBytes + n * sizeof(T) + kPage - 1) / kPage * kPage;
    void* base = std::aligned_alloc(kPage, bytes);
    if (base == nullptr) throw std::bad_alloc();
    return reinterpret_cast<T*>(static_cast<char*>(base) + OffsetBytes);
  }
  void deallocate(T* p, size_t) { std::free(reinterpret_cast<char*>(p) - OffsetBytes); }
  bool operator==(const PageOffsetAllocator&) const { return true; }
  bool operator!=(const PageOffsetAllocator&) const { return false; }
};
template <size_t OffsetBytes>
using ScratchBuffer = std::vector<float, PageOffsetAllocator<float, OffsetBytes>>;

// Grown on demand, never shrunk: a decode step after the first allocates
// nothing. Each buffer at its own offset in a page (see PageOffsetAllocator),
// 512 bytes apart, so no two of them alias.
struct Scratch {
  ScratchBuffer<0> hidden;
  ScratchBuffer<512> normed;
  ScratchBuffer<1024> qkv;
  ScratchBuffer<1536> context;
  ScratchBuffer<2048> inner;
  ScratchBuffer<2560> scores;
  ScratchBuffer<3072> expanded;  // per thread: a block of bf16 rows as float32
  std::vector<float> logits;
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
