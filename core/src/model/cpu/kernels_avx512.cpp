// AVX-512 matrix kernels for CPUs whose 512-bit FMAs run at full width (a
// 512-bit FMA per port: measured 222 vs 111 GFLOP/s per core for AVX2 on this
// project's Zen 5 machines), so a short prefill's GEMM can double. The other
// kernels (attention, exp) are the AVX2 ones: they are not where time goes.
#include <immintrin.h>

#include <algorithm>
#include <chrono>

#include "model/cpu/bf16_panels.h"
#include "model/cpu/kernels.h"

#define KVR_AVX512 __attribute__((target("avx512f,avx512dq,avx2,fma")))

namespace kvr::cpu {
namespace {

KVR_AVX512 inline __m256 half(__m512 v) {  // the two halves added
  return _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
}

// The four sums of a, b, c, d in one vector.
KVR_AVX512 inline __m128 sumsOfFour(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 s =
      _mm256_hadd_ps(_mm256_hadd_ps(half(a), half(b)), _mm256_hadd_ps(half(c), half(d)));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

KVR_AVX512 inline void storeFour(__m128 sums, const float* bias, float* y, bool accumulate) {
  if (bias != nullptr) sums = _mm_add_ps(sums, _mm_loadu_ps(bias));
  if (accumulate) sums = _mm_add_ps(_mm_loadu_ps(y), sums);
  _mm_storeu_ps(y, sums);
}

// Four weight rows by `Tokens` tokens over columns in steps of 16: 4 x Tokens
// accumulators; each weight vector loaded once per step serves every token.
template <int Tokens>
KVR_AVX512 inline void rowBlock(const float* w, size_t ld, const float* x, int cols,
                                const float* bias, float* y, size_t ldy, bool accumulate) {
  __m512 acc[4][Tokens];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
#pragma GCC unroll 4
    for (int t = 0; t < Tokens; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  for (int c = 0; c < cols; c += 16) {
    __m512 xv[Tokens];
#pragma GCC unroll 4
    for (int t = 0; t < Tokens; ++t) xv[t] = _mm512_loadu_ps(x + static_cast<size_t>(t) * ld + c);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      const __m512 wv = _mm512_loadu_ps(w + static_cast<size_t>(r) * ld + c);
#pragma GCC unroll 4
      for (int t = 0; t < Tokens; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < Tokens; ++t) {
    storeFour(sumsOfFour(acc[0][t], acc[1][t], acc[2][t], acc[3][t]), bias,
              y + static_cast<size_t>(t) * ldy, accumulate);
  }
}

// One row of weights (the rows left over from blocks of four) by one token.
KVR_AVX512 inline float dot(const float* a, const float* b, int n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  for (; i + 16 <= n; i += 16)
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  const __m256 h = half(_mm512_add_ps(s0, s1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  float s = _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Sixteen bfloat16 values widened to float32: zero-extend, shift into the
// upper half. (The all-ones maskz forms: GCC 12's unmasked ones start from an
// "undefined" vector that -Wmaybe-uninitialized reports.)
KVR_AVX512 inline __m512 loadBf16x16(const uint16_t* p) {
  constexpr __mmask16 kAll = 0xffff;
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(
      _mm512_maskz_slli_epi32(kAll, _mm512_maskz_cvtepu16_epi32(kAll, h), 16));
}

// y[r, r + 8) from rows r.. of w, cols a multiple of 16.
KVR_AVX512 inline void eightRows(const float* w, size_t ld, const float* x, int cols,
                                 const float* bias, float* y, int r, bool accumulate) {
  const float* w0 = w + static_cast<size_t>(r) * ld;
  __m512 a[8];
  for (int k = 0; k < 8; ++k) a[k] = _mm512_setzero_ps();
  for (int c = 0; c < cols; c += 16) {
    const __m512 xa = _mm512_loadu_ps(x + c);
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + k * ld + c), xa, a[k]);
  }
  storeFour(sumsOfFour(a[0], a[1], a[2], a[3]), bias != nullptr ? bias + r : nullptr, y + r,
            accumulate);
  storeFour(sumsOfFour(a[4], a[5], a[6], a[7]), bias != nullptr ? bias + r + 4 : nullptr, y + r + 4,
            accumulate);
}

// Eight rows at a time, one accumulator each over 16 columns: eight
// independent FMA chains and eight weight streams for the prefetchers (decode
// 4-19 % faster than four rows x two accumulators in 5 of 6 paired runs here:
// a decode step's rows are short, 3 KB, so more streams keep more of memory's
// bandwidth busy); then four rows, then single rows.
KVR_AVX512 void gemvRowsAvx512(const float* w, const float* x, const float* bias, float* y,
                               int cols, int r0, int r1, bool accumulate) {
  const size_t ld = static_cast<size_t>(cols);
  const int cols32 = cols & ~31;
  int r = r0;
  for (; r + 8 <= r1 && cols % 16 == 0; r += 8) eightRows(w, ld, x, cols, bias, y, r, accumulate);
  for (; r + 4 <= r1 && cols % 16 == 0; r += 4) {
    const float* w0 = w + static_cast<size_t>(r) * ld;
    __m512 a[4], b[4];
    for (int k = 0; k < 4; ++k) a[k] = _mm512_setzero_ps(), b[k] = _mm512_setzero_ps();
    int c = 0;
    for (; c < cols32; c += 32) {
      const __m512 xa = _mm512_loadu_ps(x + c), xb = _mm512_loadu_ps(x + c + 16);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + k * ld + c), xa, a[k]);
        b[k] = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + k * ld + c + 16), xb, b[k]);
      }
    }
    if (c < cols) {  // one step of 16 left
      const __m512 xa = _mm512_loadu_ps(x + c);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k)
        a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + k * ld + c), xa, a[k]);
    }
    storeFour(sumsOfFour(_mm512_add_ps(a[0], b[0]), _mm512_add_ps(a[1], b[1]),
                         _mm512_add_ps(a[2], b[2]), _mm512_add_ps(a[3], b[3])),
              bias != nullptr ? bias + r : nullptr, y + r, accumulate);
  }
  for (; r < r1; ++r) {
    const float v =
        (bias != nullptr ? bias[r] : 0.f) + dot(w + static_cast<size_t>(r) * ld, x, cols);
    y[r] = accumulate ? y[r] + v : v;
  }
}

// Attention's weighted sums for heads of 64 (or a multiple) values: four
// queries at a time, 16 accumulators, each value row loaded once for the
// four; each output lane is its own chain of FMAs over t in order, as in the
// AVX2 kernel (which takes other head sizes).
KVR_AVX512 void weightedSumAvx512(const float* p, int ldP, int queries, const float* values,
                                  int count, int dim, float* out, int ldOut, bool accumulate) {
  if (dim % 64 != 0) {
    avx2Kernels()->weightedSum(p, ldP, queries, values, count, dim, out, ldOut, accumulate);
    return;
  }
  const size_t ld = static_cast<size_t>(dim), ldp = static_cast<size_t>(ldP);
  const size_t ldo = static_cast<size_t>(ldOut);
  for (int d0 = 0; d0 < dim; d0 += 64) {
    for (int b = 0; b < queries; b += 4) {
      const int group = std::min(4, queries - b);
      const float* pb = p + static_cast<size_t>(b) * ldp;
      __m512 a[4][4];
      for (int g = 0; g < 4; ++g) {
        for (int j = 0; j < 4; ++j) {
          a[g][j] = accumulate && g < group
                        ? _mm512_loadu_ps(out + static_cast<size_t>(b + g) * ldo + d0 + 16 * j)
                        : _mm512_setzero_ps();
        }
      }
      if (group == 4) {
        for (int t = 0; t < count; ++t) {
          const float* v = values + static_cast<size_t>(t) * ld + d0;
          const __m512 v0 = _mm512_loadu_ps(v), v1 = _mm512_loadu_ps(v + 16);
          const __m512 v2 = _mm512_loadu_ps(v + 32), v3 = _mm512_loadu_ps(v + 48);
#pragma GCC unroll 4
          for (int g = 0; g < 4; ++g) {
            const __m512 w = _mm512_set1_ps(pb[g * ldp + t]);
            a[g][0] = _mm512_fmadd_ps(w, v0, a[g][0]);
            a[g][1] = _mm512_fmadd_ps(w, v1, a[g][1]);
            a[g][2] = _mm512_fmadd_ps(w, v2, a[g][2]);
            a[g][3] = _mm512_fmadd_ps(w, v3, a[g][3]);
          }
        }
      } else {
        for (int g = 0; g < group; ++g) {
          for (int t = 0; t < count; ++t) {
            const float* v = values + static_cast<size_t>(t) * ld + d0;
            const __m512 w = _mm512_set1_ps(pb[g * ldp + t]);
            for (int j = 0; j < 4; ++j)
              a[g][j] = _mm512_fmadd_ps(w, _mm512_loadu_ps(v + 16 * j), a[g][j]);
          }
        }
      }
      for (int g = 0; g < group; ++g) {
        float* o = out + static_cast<size_t>(b + g) * ldo + d0;
        for (int j = 0; j < 4; ++j) _mm512_storeu_ps(o + 16 * j, a[g][j]);
      }
    }
  }
}

// Blocks of four weight rows by four tokens (then two, then one), the rows'
// weights kept in L1 while every token passes. Columns that are not a
// multiple of 16 take the AVX2 kernel.
KVR_AVX512 void gemmRowsAvx512(const float* w, const float* x, int tokens, const float* bias,
                               float* y, int ldy, int cols, int r0, int r1, bool accumulate) {
  if (cols % 16 != 0) {
    avx2Kernels()->gemmRows(w, x, tokens, bias, y, ldy, cols, r0, r1, accumulate);
    return;
  }
  const size_t ld = static_cast<size_t>(cols);
  const size_t ldOut = static_cast<size_t>(ldy);
  const int blockEnd = r0 + (r1 - r0) / 4 * 4;
  for (int r = r0; r < blockEnd; r += 4) {
    const float* wr = w + static_cast<size_t>(r) * ld;
    const float* b = bias != nullptr ? bias + r : nullptr;
    int i = 0;
    for (; i + 4 <= tokens; i += 4) {
      rowBlock<4>(wr, ld, x + static_cast<size_t>(i) * ld, cols, b, y + i * ldOut + r, ldOut,
                  accumulate);
    }
    for (; i + 2 <= tokens; i += 2) {
      rowBlock<2>(wr, ld, x + static_cast<size_t>(i) * ld, cols, b, y + i * ldOut + r, ldOut,
                  accumulate);
    }
    for (; i < tokens; ++i) {
      rowBlock<1>(wr, ld, x + static_cast<size_t>(i) * ld, cols, b, y + i * ldOut + r, ldOut,
                  accumulate);
    }
  }
  for (int i = 0; i < tokens && blockEnd < r1; ++i) {
    gemvRowsAvx512(w, x + static_cast<size_t>(i) * ld, bias, y + i * ldOut, cols, blockEnd, r1,
                   accumulate);
  }
}

// A bf16 panel (eight rows, one sequential stream; model/cpu/bf16_panels.h)
// at a time, one accumulator per row; the columns past the last multiple of
// 16 read x through a mask (the panel's padding is zero).
KVR_AVX512 void gemvRowsBf16Avx512(const uint16_t* panels, const float* x, const float* bias,
                                   float* y, int cols, int r0, int r1, bool accumulate) {
  const int full = cols / kPanelCols * kPanelCols;
  const auto tailMask = static_cast<__mmask16>((1u << (cols - full)) - 1);
  for (int first = r0 / kPanelRows * kPanelRows; first < r1; first += kPanelRows) {
    const uint16_t* block = panels + static_cast<size_t>(first / kPanelRows) * panelElements(cols);
    __m512 a[kPanelRows];
    for (__m512& v : a) v = _mm512_setzero_ps();
    for (int c = 0; c < cols; c += kPanelCols, block += kPanelRows * kPanelCols) {
      const __m512 xa = c < full ? _mm512_loadu_ps(x + c) : _mm512_maskz_loadu_ps(tailMask, x + c);
#pragma GCC unroll 8
      for (int k = 0; k < kPanelRows; ++k)
        a[k] = _mm512_fmadd_ps(loadBf16x16(block + k * kPanelCols), xa, a[k]);
    }
    alignas(16) float sums[kPanelRows];
    _mm_store_ps(sums, sumsOfFour(a[0], a[1], a[2], a[3]));
    _mm_store_ps(sums + 4, sumsOfFour(a[4], a[5], a[6], a[7]));
    storePanelRows(sums, first, bias, y, r0, r1, accumulate);
  }
}

KVR_AVX512 void widenBf16RowsAvx512(const uint16_t* panels, int cols, int r0, int count,
                                    float* to) {
  const int full = cols / kPanelCols * kPanelCols;
  const auto tailMask = static_cast<__mmask16>((1u << (cols - full)) - 1);
  for (int i = 0; i < count; ++i) {
    float* row = to + static_cast<size_t>(i) * static_cast<size_t>(cols);
    const uint16_t* from = panels + panelIndex(r0 + i, 0, cols);
    int c = 0;
    for (; c < full; c += kPanelCols, from += kPanelRows * kPanelCols)
      _mm512_storeu_ps(row + c, loadBf16x16(from));
    if (c < cols) _mm512_mask_storeu_ps(row + c, tailMask, loadBf16x16(from));
  }
}

// FMAs per second over 8 independent chains (best of 3 short runs), for
// 512-bit and for 256-bit vectors.
#define KVR_FMA_RATE(Vector, fma, set1)                                                            \
  double best = 0;                                                                                 \
  for (int round = 0; round < 3; ++round) {                                                        \
    Vector v0 = set1(0.5f), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0, v6 = v0, v7 = v0;         \
    const Vector m = set1(0.999f), a = set1(1e-4f);                                                \
    const auto t0 = std::chrono::steady_clock::now();                                              \
    for (int i = 0; i < 20000; ++i) {                                                              \
      v0 = fma(v0, m, a), v1 = fma(v1, m, a), v2 = fma(v2, m, a), v3 = fma(v3, m, a);              \
      v4 = fma(v4, m, a), v5 = fma(v5, m, a), v6 = fma(v6, m, a), v7 = fma(v7, m, a);              \
    }                                                                                              \
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); \
    volatile float sink = v0[0] + v1[0] + v2[0] + v3[0] + v4[0] + v5[0] + v6[0] + v7[0];           \
    (void)sink;                                                                                    \
    best = std::max(best, 8.0 * 20000 / s);                                                        \
  }                                                                                                \
  return best

KVR_AVX512 double fmaRate512() {
  KVR_FMA_RATE(__m512, _mm512_fmadd_ps, _mm512_set1_ps);
}
KVR_AVX512 double fmaRate256() {
  KVR_FMA_RATE(__m256, _mm256_fmadd_ps, _mm256_set1_ps);
}
#undef KVR_FMA_RATE

// Twice the lanes at (nearly) the same rate of FMAs: 512-bit units, not halves.
bool fullWidthAvx512() {
  return fmaRate512() >= 0.8 * fmaRate256();
}

}  // namespace

const Kernels* avx512Kernels() {
  // Only where 512-bit FMAs run at full width (Zen 5, most Xeons): where they
  // are split in two (Zen 4) these kernels gain nothing over AVX2 and would
  // take long prefills from the BLAS. Measured once, about a millisecond.
  static const bool supported = __builtin_cpu_supports("avx512f") &&
                                __builtin_cpu_supports("avx512dq") && avx2Kernels() != nullptr &&
                                fullWidthAvx512();
  static const Kernels kernels = [] {
    Kernels k = supported ? *avx2Kernels() : genericKernels();
    k.name = "avx512";
    k.gemvRows = gemvRowsAvx512;
    k.gemmRows = gemmRowsAvx512;
    k.gemvRowsBf16 = gemvRowsBf16Avx512;
    k.widenBf16Rows = widenBf16RowsAvx512;
    k.weightedSum = weightedSumAvx512;
    // Ahead of OpenBLAS (an AVX2 build here) at every length: 64-token chunks
    // measured 209 vs 132 GFLOP/s on 2 threads.
    k.gemmRowsMaxTokens = 0;
    return k;
  }();
  return supported ? &kernels : nullptr;
}

}  // namespace kvr::cpu
