#pragma once
// Vector kernels of the torch-free CPU forward (model/cpu/forward_cpu.cpp).
// One table of function pointers per instruction set, chosen once at run time
// from what the CPU supports (AVX-512, else AVX2 + FMA, else portable C++), so one binary
// runs on every x86-64 machine. No torch here.
#include <cstddef>
#include <cstdint>

namespace kvr::cpu {

struct Kernels {
  const char* name;  // "avx512", "avx2-fma" or "generic"
  // y[r] = bias[r] + W[r, :] . x for rows [r0, r1) of a row-major [rows, cols]
  // matrix (bias may be null); with accumulate, y[r] += that instead. Reads
  // every weight of those rows exactly once: the decode step's matrix-vector.
  void (*gemvRows)(const float* w, const float* x, const float* bias, float* y, int cols, int r0,
                   int r1, bool accumulate);
  // The same for `tokens` inputs x[tokens, cols] into y[tokens, ldy] (row r of
  // token i at y[i * ldy + r]): each weight row is read from memory once and
  // used for every token while it is in L1. A short prefill's linear layer,
  // without the packing a BLAS GEMM does per call.
  void (*gemmRows)(const float* w, const float* x, int tokens, const float* bias, float* y, int ldy,
                   int cols, int r0, int r1, bool accumulate);
  // Beyond this many tokens a BLAS GEMM (whose packing pays off) beats
  // gemmRows; 0: never (gemmRows then takes any prefill, in chunks).
  int gemmRowsMaxTokens;
  // out[b * ldOut + t] = scale * q_b . keys[t, :] for the queries b in [0,
  // queries) (q_b at q + b * ldq) and keys t in [0, count): a block of
  // queries' attention scores over a head's contiguous [count, dim] keys, each
  // key read once for the whole block. A query's scores are the same numbers
  // whatever block it is computed in.
  void (*scores)(const float* q, int ldq, int queries, const float* keys, int count, int dim,
                 float scale, float* out, int ldOut);
  // out_b[:] = the sum over t in [0, count), in order, of p[b * ldP + t] *
  // values[t, :], out_b at out + b * ldOut: the block's weighted sums over a
  // head's [count, dim] values, each value row read once per block. With
  // accumulate the sums start from out_b instead of 0: one chain of FMAs per
  // output lane, in order of t, so a sum split in two calls is the same
  // number, and a query's sums do not depend on its block.
  void (*weightedSum)(const float* p, int ldP, int queries, const float* values, int count, int dim,
                      float* out, int ldOut, bool accumulate);
  void (*exp)(float* x, int n);  // in place, |rel err| < 2e-7
  // gemvRows over a bfloat16 matrix in panels (model/cpu/bf16_panels.h):
  // each weight widened exactly to float32, products and sums in float32.
  // Half the bytes per decode step.
  void (*gemvRowsBf16)(const uint16_t* panels, const float* x, const float* bias, float* y,
                       int cols, int r0, int r1, bool accumulate);
  // Rows [r0, r0 + count) of a bf16 panel matrix as float32 rows to[count,
  // cols]: a block widened for gemmRows (a prefill reuses each row for many
  // tokens).
  void (*widenBf16Rows)(const uint16_t* panels, int cols, int r0, int count, float* to);
};

// The best kernels this CPU runs; KVR_CPU_KERNELS=generic forces the portable
// ones, KVR_CPU_KERNELS=avx2 the AVX2 ones (to compare on an AVX-512 CPU).
const Kernels& bestKernels();
const Kernels& genericKernels();
const Kernels* avx2Kernels();  // null when the CPU lacks AVX2 or FMA
// AVX2's, with AVX-512 matrix kernels; null when the CPU lacks AVX-512 F/DQ.
const Kernels* avx512Kernels();

}  // namespace kvr::cpu
