#include "model/cpu/blas.h"

#include <dlfcn.h>

#include <cstddef>

namespace kvr::cpu {
namespace {

// The CBLAS enum values, fixed by the reference header.
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);

using CblasSgemv = void (*)(int, int, int, int, float, const float*, int, const float*, int, float,
                            float*, int);

CblasSgemm findCblas() {
  return reinterpret_cast<CblasSgemm>(::dlsym(RTLD_DEFAULT, "cblas_sgemm"));
}

CblasSgemm cblas() {
  static const CblasSgemm found = findCblas();
  return found;
}

void loopSgemm(bool transB, int m, int n, int k, float alpha, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      float s = 0.f;
      for (int p = 0; p < k; ++p) {
        const float bv =
            transB ? b[static_cast<size_t>(j) * ldb + p] : b[static_cast<size_t>(p) * ldb + j];
        s += a[static_cast<size_t>(i) * lda + p] * bv;
      }
      float& out = c[static_cast<size_t>(i) * ldc + j];
      out = alpha * s + (beta == 0.f ? 0.f : beta * out);
    }
  }
}

}  // namespace

void sgemm(bool transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
           int ldb, float beta, float* c, int ldc) {
  if (CblasSgemm f = cblas()) {
    f(kRowMajor, kNoTrans, transB ? kTrans : kNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
      ldc);
  } else {
    loopSgemm(transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

bool blasSgemv(int m, int n, const float* a, int lda, const float* x, float* y) {
  static const auto f = reinterpret_cast<CblasSgemv>(::dlsym(RTLD_DEFAULT, "cblas_sgemv"));
  if (f == nullptr) return false;
  f(kRowMajor, kNoTrans, m, n, 1.f, a, lda, x, 1, 0.f, y, 1);
  return true;
}

const char* sgemmProvider() {
  if (cblas() == nullptr) return "loop";
  return ::dlsym(RTLD_DEFAULT, "openblas_get_config") != nullptr ? "openblas" : "cblas";
}

}  // namespace kvr::cpu
