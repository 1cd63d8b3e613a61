// Portable kernels and the run-time choice between them and the AVX2 ones.
#include "model/cpu/kernels.h"

#include "model/cpu/bf16_panels.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace kvr::cpu {
namespace {

void gemvRowsGeneric(const float* w, const float* x, const float* bias, float* y, int cols, int r0,
                     int r1, bool accumulate) {
  for (int r = r0; r < r1; ++r) {
    const float* row = w + static_cast<size_t>(r) * static_cast<size_t>(cols);
    float s = 0.f;
    for (int c = 0; c < cols; ++c) s += row[c] * x[c];
    const float v = (bias != nullptr ? bias[r] : 0.f) + s;
    y[r] = accumulate ? y[r] + v : v;
  }
}

void gemmRowsGeneric(const float* w, const float* x, int tokens, const float* bias, float* y,
                     int ldy, int cols, int r0, int r1, bool accumulate) {
  for (int i = 0; i < tokens; ++i) {
    gemvRowsGeneric(w, x + static_cast<size_t>(i) * static_cast<size_t>(cols), bias,
                    y + static_cast<size_t>(i) * static_cast<size_t>(ldy), cols, r0, r1,
                    accumulate);
  }
}

void scoresGeneric(const float* q, int ldq, int queries, const float* keys, int count, int dim,
                   float scale, float* out, int ldOut) {
  for (int t = 0; t < count; ++t) {
    const float* k = keys + static_cast<size_t>(t) * static_cast<size_t>(dim);
    for (int b = 0; b < queries; ++b) {
      const float* qb = q + static_cast<size_t>(b) * static_cast<size_t>(ldq);
      float s = 0.f;
      for (int d = 0; d < dim; ++d) s += qb[d] * k[d];
      out[static_cast<size_t>(b) * static_cast<size_t>(ldOut) + t] = s * scale;
    }
  }
}

void weightedSumGeneric(const float* p, int ldP, int queries, const float* values, int count,
                        int dim, float* out, int ldOut, bool accumulate) {
  for (int b = 0; b < queries && !accumulate; ++b) {
    float* o = out + static_cast<size_t>(b) * static_cast<size_t>(ldOut);
    for (int d = 0; d < dim; ++d) o[d] = 0.f;
  }
  for (int t = 0; t < count; ++t) {
    const float* v = values + static_cast<size_t>(t) * static_cast<size_t>(dim);
    for (int b = 0; b < queries; ++b) {
      const float pt = p[static_cast<size_t>(b) * static_cast<size_t>(ldP) + t];
      float* o = out + static_cast<size_t>(b) * static_cast<size_t>(ldOut);
      for (int d = 0; d < dim; ++d) o[d] += pt * v[d];
    }
  }
}

void expGeneric(float* x, int n) {
  for (int i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

void gemvRowsBf16Generic(const uint16_t* panels, const float* x, const float* bias, float* y,
                         int cols, int r0, int r1, bool accumulate) {
  for (int r = r0; r < r1; ++r) {
    float s = 0.f;
    for (int c = 0; c < cols; ++c) s += bf16ToFloat(panels[panelIndex(r, c, cols)]) * x[c];
    const float v = (bias != nullptr ? bias[r] : 0.f) + s;
    y[r] = accumulate ? y[r] + v : v;
  }
}

void widenBf16RowsGeneric(const uint16_t* panels, int cols, int r0, int count, float* to) {
  for (int i = 0; i < count; ++i) {
    float* row = to + static_cast<size_t>(i) * static_cast<size_t>(cols);
    for (int c = 0; c < cols; ++c) row[c] = bf16ToFloat(panels[panelIndex(r0 + i, c, cols)]);
  }
}

}  // namespace

const Kernels& genericKernels() {
  static const Kernels kernels{"generic",  gemvRowsGeneric,     gemmRowsGeneric,
                               40,         scoresGeneric,       weightedSumGeneric,
                               expGeneric, gemvRowsBf16Generic, widenBf16RowsGeneric};
  return kernels;
}

const Kernels& bestKernels() {
  static const Kernels& chosen = []() -> const Kernels& {
    const char* forced = std::getenv("KVR_CPU_KERNELS");
    if (forced != nullptr && std::strcmp(forced, "generic") == 0) return genericKernels();
    const Kernels* avx512 = avx512Kernels();
    const bool avx2Forced = forced != nullptr && std::strcmp(forced, "avx2") == 0;
    if (avx512 != nullptr && !avx2Forced) return *avx512;
    const Kernels* avx2 = avx2Kernels();
    return avx2 != nullptr ? *avx2 : genericKernels();
  }();
  return chosen;
}

}  // namespace kvr::cpu
