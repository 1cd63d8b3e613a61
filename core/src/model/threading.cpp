#include "model/threading.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

namespace kvr {

std::string ThreadPlan::describe() const {
  std::string s = std::to_string(threads) + " threads (" + blas;
  if (blasThreads > 0) s += " " + std::to_string(blasThreads);
  return s + ", torch intra-op " + std::to_string(torchThreads) + ")";
}

ThreadPlan configureThreads(int threads) {
  ThreadPlan plan;
  plan.threads = threads;
  using SetThreads = void (*)(int);
  const auto openblasSet =
      reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (at::hasMKL()) {
    plan.blas = "mkl";
    plan.torchThreads = threads;
  } else if (openblasSet != nullptr) {
    plan.blas = "openblas";
    openblasSet(threads);
    plan.blasThreads = threads;
    plan.torchThreads = 1;
  } else {
    plan.blas = "generic";
    plan.torchThreads = threads;
  }
  at::set_num_threads(plan.torchThreads);
  return plan;
}

}  // namespace kvr
