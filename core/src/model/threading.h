#pragma once
// How the engine spreads work over the cores.
#include <string>

namespace kvr {

struct ThreadPlan {
  int threads = 1;       // cores the engine uses
  int torchThreads = 1;  // torch's intra-op (OpenMP) pool
  int blasThreads = 0;   // a BLAS's own pool (0 = it shares torch's)
  std::string blas;      // "mkl", "openblas" or "generic"
  std::string describe() const;
};

// Torch's OpenMP pool and a BLAS with its own pthread pool (Debian's OpenBLAS)
// oversubscribe the cores when both run N threads: idle OpenMP threads spin
// while the BLAS works. Measured on 2 cores, dialogpt-small, 32-token prefill:
// 0.36 s with both at 2, 0.06 s with OpenBLAS at 2 and torch at 1. So a BLAS
// with its own pool gets the threads and torch's pool keeps one; with MKL (which
// shares torch's OpenMP pool) torch gets them all.
ThreadPlan configureThreads(int threads);

}  // namespace kvr
