#pragma once
// Row-major single-precision GEMM for the prefill: the process's CBLAS (the
// OpenBLAS or MKL that libtorch itself loads) found at run time, so the build
// needs no BLAS headers; a plain loop if none is loaded.
namespace kvr::cpu {

// C[m, n] = alpha * A[m, k] * op(B) + beta * C, all row-major with leading
// dimensions lda, ldb, ldc; op(B) = B^T (B stored [n, k]) when transB, else B ([k, n]).
void sgemm(bool transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
           int ldb, float beta, float* c, int ldc);

// y[m] = A[m, n] x (row-major, lda); false when the process has no CBLAS.
bool blasSgemv(int m, int n, const float* a, int lda, const float* x, float* y);

// "openblas", "cblas" or "loop": what sgemm calls.
const char* sgemmProvider();

}  // namespace kvr::cpu
