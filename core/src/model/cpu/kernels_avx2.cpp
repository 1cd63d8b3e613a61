// AVX2 + FMA kernels, compiled for that target function by function so the
// rest of the binary stays portable; bestKernels() only hands them out when
// the CPU reports both features.
#include <immintrin.h>

#include <algorithm>

#include "model/cpu/bf16_panels.h"
#include "model/cpu/kernels.h"

#define KVR_AVX2 __attribute__((target("avx2,fma")))

namespace kvr::cpu {
namespace {

KVR_AVX2 inline float horizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

KVR_AVX2 float dotAvx2(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  }
  float s = horizontalSum(s0);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Four rows at a time, two accumulators each: eight independent FMA chains
// while four weight streams run through the prefetchers.
KVR_AVX2 void gemvRowsAvx2(const float* w, const float* x, const float* bias, float* y, int cols,
                           int r0, int r1, bool accumulate) {
  const size_t ld = static_cast<size_t>(cols);
  const int cols16 = cols & ~15;
  int r = r0;
  for (; r + 4 <= r1; r += 4) {
    const float* w0 = w + static_cast<size_t>(r) * ld;
    const float* w1 = w0 + ld;
    const float* w2 = w1 + ld;
    const float* w3 = w2 + ld;
    __m256 a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps();
    __m256 a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps();
    __m256 a3 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    int c = 0;
    for (; c < cols16; c += 16) {
      const __m256 xa = _mm256_loadu_ps(x + c), xb = _mm256_loadu_ps(x + c + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xa, a0);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c + 8), xb, b0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xa, a1);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c + 8), xb, b1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xa, a2);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c + 8), xb, b2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xa, a3);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c + 8), xb, b3);
    }
    float s[4] = {horizontalSum(_mm256_add_ps(a0, b0)), horizontalSum(_mm256_add_ps(a1, b1)),
                  horizontalSum(_mm256_add_ps(a2, b2)), horizontalSum(_mm256_add_ps(a3, b3))};
    for (; c < cols; ++c) {
      s[0] += w0[c] * x[c];
      s[1] += w1[c] * x[c];
      s[2] += w2[c] * x[c];
      s[3] += w3[c] * x[c];
    }
    for (int k = 0; k < 4; ++k) {
      const float v = (bias != nullptr ? bias[r + k] : 0.f) + s[k];
      y[r + k] = accumulate ? y[r + k] + v : v;
    }
  }
  for (; r < r1; ++r) {
    const float v =
        (bias != nullptr ? bias[r] : 0.f) + dotAvx2(w + static_cast<size_t>(r) * ld, x, cols);
    y[r] = accumulate ? y[r] + v : v;
  }
}

// The four sums of a, b, c, d in one vector.
KVR_AVX2 inline __m128 horizontalSums(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

KVR_AVX2 inline void storeFour(__m128 sums, const float* bias, float* y, bool accumulate) {
  if (bias != nullptr) sums = _mm_add_ps(sums, _mm_loadu_ps(bias));
  if (accumulate) sums = _mm_add_ps(_mm_loadu_ps(y), sums);
  _mm_storeu_ps(y, sums);
}

// Four weight rows by two tokens: eight accumulators, six loads per eight FMAs.
// Rows and columns that do not fill a block go to the matrix-vector kernel.
KVR_AVX2 void gemmRowsAvx2(const float* w, const float* x, int tokens, const float* bias, float* y,
                           int ldy, int cols, int r0, int r1, bool accumulate) {
  const size_t ld = static_cast<size_t>(cols);
  const int blockEnd = cols % 8 == 0 ? r0 + (r1 - r0) / 4 * 4 : r0;
  const int pairEnd = tokens / 2 * 2;
  for (int r = r0; r < blockEnd; r += 4) {
    const float* w0 = w + static_cast<size_t>(r) * ld;
    const float* w1 = w0 + ld;
    const float* w2 = w1 + ld;
    const float* w3 = w2 + ld;
    const float* b = bias != nullptr ? bias + r : nullptr;
    for (int i = 0; i < pairEnd; i += 2) {
      const float* xa = x + static_cast<size_t>(i) * ld;
      const float* xb = xa + ld;
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
             a3 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(),
             b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
      for (int c = 0; c < cols; c += 8) {
        const __m256 va = _mm256_loadu_ps(xa + c), vb = _mm256_loadu_ps(xb + c);
        __m256 wv = _mm256_loadu_ps(w0 + c);
        a0 = _mm256_fmadd_ps(wv, va, a0);
        b0 = _mm256_fmadd_ps(wv, vb, b0);
        wv = _mm256_loadu_ps(w1 + c);
        a1 = _mm256_fmadd_ps(wv, va, a1);
        b1 = _mm256_fmadd_ps(wv, vb, b1);
        wv = _mm256_loadu_ps(w2 + c);
        a2 = _mm256_fmadd_ps(wv, va, a2);
        b2 = _mm256_fmadd_ps(wv, vb, b2);
        wv = _mm256_loadu_ps(w3 + c);
        a3 = _mm256_fmadd_ps(wv, va, a3);
        b3 = _mm256_fmadd_ps(wv, vb, b3);
      }
      float* ya = y + static_cast<size_t>(i) * static_cast<size_t>(ldy) + r;
      storeFour(horizontalSums(a0, a1, a2, a3), b, ya, accumulate);
      storeFour(horizontalSums(b0, b1, b2, b3), b, ya + ldy, accumulate);
    }
    if (pairEnd < tokens) {
      gemvRowsAvx2(w, x + static_cast<size_t>(pairEnd) * ld, bias,
                   y + static_cast<size_t>(pairEnd) * static_cast<size_t>(ldy), cols, r, r + 4,
                   accumulate);
    }
  }
  for (int i = 0; i < tokens && blockEnd < r1; ++i) {
    gemvRowsAvx2(w, x + static_cast<size_t>(i) * ld, bias,
                 y + static_cast<size_t>(i) * static_cast<size_t>(ldy), cols, blockEnd, r1,
                 accumulate);
  }
}

constexpr int kMaxZeroPaddedDim = 512;

// Keys four at a time (those missing past count as zeros), every query
// of the block against the four while they are in L1. Each key's sum is its
// own tree of adds in the hadd folding, the same whatever the other three
// are, so a query's scores are the same numbers in a decode step and in any
// block of any prefill. Head sizes not a multiple of 8 (or above 512) take
// dotAvx2 per key.
KVR_AVX2 void scoresAvx2(const float* q, int ldq, int queries, const float* keys, int count,
                         int dim, float scale, float* out, int ldOut) {
  const size_t ld = static_cast<size_t>(dim), ldo = static_cast<size_t>(ldOut);
  if (dim % 8 != 0 || dim > kMaxZeroPaddedDim) {
    for (int t = 0; t < count; ++t) {
      for (int b = 0; b < queries; ++b) {
        out[static_cast<size_t>(b) * ldo + t] =
            dotAvx2(q + static_cast<size_t>(b) * static_cast<size_t>(ldq), keys + t * ld, dim) *
            scale;
      }
    }
    return;
  }
  // The keys past count read as a row of zeros.
  static const float kZeros[kMaxZeroPaddedDim] = {};
  const __m128 scaleV = _mm_set1_ps(scale);
  for (int t = 0; t < count; t += 4) {
    const int live = std::min(4, count - t);
    const float* k[4];
    for (int j = 0; j < 4; ++j) k[j] = j < live ? keys + static_cast<size_t>(t + j) * ld : kZeros;
    for (int b = 0; b < queries; ++b) {
      const float* qb = q + static_cast<size_t>(b) * static_cast<size_t>(ldq);
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
      __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
      for (int d = 0; d < dim; d += 8) {
        const __m256 qv = _mm256_loadu_ps(qb + d);
        a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k[0] + d), a0);
        a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k[1] + d), a1);
        a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k[2] + d), a2);
        a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k[3] + d), a3);
      }
      const __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
      const __m128 sum =
          _mm_mul_ps(_mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1)), scaleV);
      float* o = out + static_cast<size_t>(b) * ldo + t;
      if (live == 4) {
        _mm_storeu_ps(o, sum);
      } else {
        alignas(16) float four[4];
        _mm_store_ps(four, sum);
        for (int j = 0; j < live; ++j) o[j] = four[j];
      }
    }
  }
}

KVR_AVX2 inline __m256 startSum(const float* o, bool accumulate) {
  return accumulate ? _mm256_loadu_ps(o) : _mm256_setzero_ps();
}

// Columns in blocks of 32 for two queries at a time (eight accumulators in
// registers) while the value rows stream by, then blocks of 8, then scalars;
// every output lane is its own chain of FMAs over t in order.
KVR_AVX2 void weightedSumAvx2(const float* p, int ldP, int queries, const float* values, int count,
                              int dim, float* out, int ldOut, bool accumulate) {
  const size_t ld = static_cast<size_t>(dim);
  const auto row = [](auto* base, int b, size_t stride) {
    return base + static_cast<size_t>(b) * stride;
  };
  const size_t ldp = static_cast<size_t>(ldP), ldo = static_cast<size_t>(ldOut);
  int d0 = 0;
  for (; d0 + 32 <= dim; d0 += 32) {
    int b = 0;
    for (; b + 2 <= queries; b += 2) {
      const float *p0 = row(p, b, ldp), *p1 = row(p, b + 1, ldp);
      __m256 a[2][4];
      for (int j = 0; j < 4; ++j) {
        a[0][j] = startSum(row(out, b, ldo) + d0 + 8 * j, accumulate);
        a[1][j] = startSum(row(out, b + 1, ldo) + d0 + 8 * j, accumulate);
      }
      for (int t = 0; t < count; ++t) {
        const float* v = values + static_cast<size_t>(t) * ld + d0;
        const __m256 w0 = _mm256_set1_ps(p0[t]), w1 = _mm256_set1_ps(p1[t]);
        for (int j = 0; j < 4; ++j) {
          const __m256 vj = _mm256_loadu_ps(v + 8 * j);
          a[0][j] = _mm256_fmadd_ps(w0, vj, a[0][j]);
          a[1][j] = _mm256_fmadd_ps(w1, vj, a[1][j]);
        }
      }
      for (int j = 0; j < 4; ++j) {
        _mm256_storeu_ps(row(out, b, ldo) + d0 + 8 * j, a[0][j]);
        _mm256_storeu_ps(row(out, b + 1, ldo) + d0 + 8 * j, a[1][j]);
      }
    }
    for (; b < queries; ++b) {
      const float* pb = row(p, b, ldp);
      __m256 a[4];
      for (int j = 0; j < 4; ++j) a[j] = startSum(row(out, b, ldo) + d0 + 8 * j, accumulate);
      for (int t = 0; t < count; ++t) {
        const __m256 w = _mm256_set1_ps(pb[t]);
        const float* v = values + static_cast<size_t>(t) * ld + d0;
        for (int j = 0; j < 4; ++j) a[j] = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 8 * j), a[j]);
      }
      for (int j = 0; j < 4; ++j) _mm256_storeu_ps(row(out, b, ldo) + d0 + 8 * j, a[j]);
    }
  }
  for (; d0 + 8 <= dim; d0 += 8) {
    for (int b = 0; b < queries; ++b) {
      const float* pb = row(p, b, ldp);
      __m256 a = startSum(row(out, b, ldo) + d0, accumulate);
      for (int t = 0; t < count; ++t) {
        a = _mm256_fmadd_ps(_mm256_set1_ps(pb[t]),
                            _mm256_loadu_ps(values + static_cast<size_t>(t) * ld + d0), a);
      }
      _mm256_storeu_ps(row(out, b, ldo) + d0, a);
    }
  }
  for (; d0 < dim; ++d0) {
    for (int b = 0; b < queries; ++b) {
      const float* pb = row(p, b, ldp);
      float s = accumulate ? row(out, b, ldo)[d0] : 0.f;
      for (int t = 0; t < count; ++t) s += pb[t] * values[static_cast<size_t>(t) * ld + d0];
      row(out, b, ldo)[d0] = s;
    }
  }
}

// Cephes' expf: e^x = 2^n e^r with |r| <= ln2/2, r's exponential by a degree-5
// polynomial. Inputs below -87.3 give 0, above 88.7 +inf; NaN stays NaN.
KVR_AVX2 __m256 exp8(__m256 x) {
  const __m256 nanMask = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  const __m256 overflow = _mm256_cmp_ps(x, _mm256_set1_ps(88.7228f), _CMP_GT_OQ);
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365f), _CMP_LT_OQ);
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f)), _mm256_set1_ps(-87.3365f));
  const __m256 fx = _mm256_floor_ps(
      _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(5.0000001201E-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  const __m256i n =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  __m256 r = _mm256_mul_ps(p, _mm256_castsi256_ps(n));
  r = _mm256_andnot_ps(underflow, r);
  r = _mm256_blendv_ps(r, _mm256_set1_ps(__builtin_inff()), overflow);
  return _mm256_blendv_ps(r, _mm256_set1_ps(__builtin_nanf("")), nanMask);
}

KVR_AVX2 void expAvx2(float* x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int k = i; k < n; ++k) tail[k - i] = x[k];
    _mm256_storeu_ps(tail, exp8(_mm256_loadu_ps(tail)));
    for (int k = i; k < n; ++k) x[k] = tail[k - i];
  }
}

// Eight bfloat16 values widened to float32: zero-extend, shift into the upper half.
KVR_AVX2 inline __m256 loadBf16x8(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// A panel at a time (eight rows, one sequential stream): each row's 16
// columns are two vectors into one accumulator; the last partial column
// block, if any, by scalars.
KVR_AVX2 void gemvRowsBf16Avx2(const uint16_t* panels, const float* x, const float* bias, float* y,
                               int cols, int r0, int r1, bool accumulate) {
  const int full = cols / kPanelCols * kPanelCols;
  for (int first = r0 / kPanelRows * kPanelRows; first < r1; first += kPanelRows) {
    const uint16_t* panel = panels + static_cast<size_t>(first / kPanelRows) * panelElements(cols);
    __m256 a[kPanelRows];
    for (__m256& v : a) v = _mm256_setzero_ps();
    for (int c = 0; c < full; c += kPanelCols) {
      const uint16_t* block = panel + static_cast<size_t>(c) * kPanelRows;
      const __m256 xa = _mm256_loadu_ps(x + c), xb = _mm256_loadu_ps(x + c + 8);
      for (int k = 0; k < kPanelRows; ++k) {
        a[k] = _mm256_fmadd_ps(loadBf16x8(block + k * kPanelCols), xa, a[k]);
        a[k] = _mm256_fmadd_ps(loadBf16x8(block + k * kPanelCols + 8), xb, a[k]);
      }
    }
    float sums[kPanelRows];
    for (int k = 0; k < kPanelRows; ++k) {
      sums[k] = horizontalSum(a[k]);
      const uint16_t* tail = panel + static_cast<size_t>(full) * kPanelRows + k * kPanelCols;
      for (int c = full; c < cols; ++c) sums[k] += bf16ToFloat(tail[c - full]) * x[c];
    }
    storePanelRows(sums, first, bias, y, r0, r1, accumulate);
  }
}

KVR_AVX2 void widenBf16RowsAvx2(const uint16_t* panels, int cols, int r0, int count, float* to) {
  const int full = cols / kPanelCols * kPanelCols;
  for (int i = 0; i < count; ++i) {
    float* row = to + static_cast<size_t>(i) * static_cast<size_t>(cols);
    const uint16_t* from = panels + panelIndex(r0 + i, 0, cols);
    for (int c = 0; c < full; c += kPanelCols, from += kPanelRows * kPanelCols) {
      _mm256_storeu_ps(row + c, loadBf16x8(from));
      _mm256_storeu_ps(row + c + 8, loadBf16x8(from + 8));
    }
    for (int c = full; c < cols; ++c) row[c] = bf16ToFloat(from[c - full]);
  }
}

}  // namespace

const Kernels* avx2Kernels() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // OpenBLAS ahead from 64 tokens (measured single-threaded on an AVX2 EPYC:
  // ours 60-75 GFLOP/s vs OpenBLAS 50-70 at 32 tokens).
  static const Kernels kernels{"avx2-fma", gemvRowsAvx2,     gemmRowsAvx2,
                               40,         scoresAvx2,       weightedSumAvx2,
                               expAvx2,    gemvRowsBf16Avx2, widenBf16RowsAvx2};
  return supported ? &kernels : nullptr;
}

}  // namespace kvr::cpu
