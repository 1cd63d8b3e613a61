#pragma once
// Same-run hardware ceilings for the engine's two regimes, so a benchmark can
// state its efficiency as a ratio measured on the same machine at the same
// moment: decoding streams every weight once (bounded by matrix-vector
// bandwidth), prefill is matrix-matrix work (bounded by GEMM FLOP/s).
#include <string>

namespace kvr {

struct ComputeCeilings {
  std::string blas;            // what the BLAS figures ran on, e.g. "openblas"
  double blasSgemvGBs = 0;     // cblas_sgemv, row-major [rows, cols]: weight bytes read per second
  double engineGemvGBs = 0;    // the engine's own matrix-vector kernel on the same matrix
  double blasSgemmGflops = 0;  // cblas_sgemm at a prefill's shape (tokens x 3072 x 768)
  double decodeGBs() const { return blasSgemvGBs > engineGemvGBs ? blasSgemvGBs : engineGemvGBs; }
};

// Medians of `repeats` timed runs after a warm-up, on `threads` threads (the
// BLAS keeps the thread count the model set). The GEMV matrix is `gemvBytes`
// (larger than any cache); the GEMM has `gemmRows` rows.
ComputeCeilings measureComputeCeilings(int threads, size_t gemvBytes = size_t{256} << 20,
                                       int gemmRows = 512, int repeats = 5);

}  // namespace kvr
