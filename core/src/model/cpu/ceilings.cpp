#include <algorithm>
#include <vector>

#include "kvrecycle/compute_ceilings.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/timestamps.h"
#include "model/cpu/blas.h"
#include "model/cpu/kernels.h"
#include "model/cpu/worker_pool.h"

namespace kvr {
namespace {

template <class Run>
double medianSeconds(int repeats, Run&& run) {
  run();  // warm-up: faults pages in, wakes the threads
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    const Stopwatch clock;
    run();
    seconds.push_back(clock.seconds());
  }
  return summarize(seconds).median;
}

}  // namespace

ComputeCeilings measureComputeCeilings(int threads, size_t gemvBytes, int gemmRows, int repeats) {
  ComputeCeilings out;
  out.blas = cpu::sgemmProvider();
  constexpr int kCols = 4096;
  const int rows = std::max<int>(64, static_cast<int>(gemvBytes / sizeof(float) / kCols));
  const double bytes = static_cast<double>(rows) * kCols * sizeof(float);
  std::vector<float> matrix(static_cast<size_t>(rows) * kCols, 0.001f), x(kCols, 1.f), y(rows);

  bool blas = true;
  const double blasSeconds = medianSeconds(repeats, [&] {
    blas = cpu::blasSgemv(rows, kCols, matrix.data(), kCols, x.data(), y.data());
  });
  if (blas) out.blasSgemvGBs = bytes / blasSeconds / 1e9;

  cpu::WorkerPool pool(threads);
  const cpu::Kernels& k = cpu::bestKernels();
  const double engineSeconds = medianSeconds(repeats, [&] {
    pool.run([&](int part, int parts) {
      int begin = 0, end = 0;
      cpu::partRange(rows, part, parts, 16, begin, end);
      k.gemvRows(matrix.data(), x.data(), nullptr, y.data(), kCols, begin, end, false);
    });
  });
  out.engineGemvGBs = bytes / engineSeconds / 1e9;

  constexpr int kOut = 3072, kIn = 768;  // a GPT-2 small MLP's shape
  std::vector<float> a(static_cast<size_t>(gemmRows) * kIn, 0.5f),
      c(static_cast<size_t>(gemmRows) * kOut);
  const double gemmSeconds = medianSeconds(repeats, [&] {
    cpu::sgemm(true, gemmRows, kOut, kIn, 1.f, a.data(), kIn, matrix.data(), kIn, 0.f, c.data(),
               kOut);
  });
  out.blasSgemmGflops = 2.0 * gemmRows * kOut * kIn / gemmSeconds / 1e9;
  return out;
}

}  // namespace kvr
