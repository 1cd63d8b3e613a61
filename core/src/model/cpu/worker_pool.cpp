#include "model/cpu/worker_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KVR_CPU_RELAX() _mm_pause()
#else
#define KVR_CPU_RELAX() std::this_thread::yield()
#endif

namespace kvr::cpu {
namespace {

using Clock = std::chrono::steady_clock;
// Busy for 20 us (the gap between the jobs of one decode step), yielding up
// to 300 us (the gap between steps), then asleep.
constexpr auto kSpin = std::chrono::microseconds(20);
constexpr auto kYield = std::chrono::microseconds(300);

}  // namespace

WorkerPool::WorkerPool(int threads) {
  for (int part = 1; part < threads; ++part)
    workers_.emplace_back([this, part] { workerLoop(part); });
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard<std::mutex> lock(sleep_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void WorkerPool::runJob(JobFunction function, void* context) {
  const int parts = threads();
  std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
  if (!busy.owns_lock() || parts == 1) {
    for (int part = 0; part < parts; ++part) function(context, part, parts);
    return;
  }
  function_ = function;
  context_ = context;
  pending_.store(parts - 1, std::memory_order_relaxed);
  {
    const std::lock_guard<std::mutex> lock(sleep_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  function(context, 0, parts);
  // A worker that lost its core (a busy machine) gets it back through yield.
  for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < 4096) {
      KVR_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

void WorkerPool::workerLoop(int part) {
  uint64_t seen = 0;
  while (true) {
    const Clock::time_point idleSince = Clock::now();
    uint64_t now = generation_.load(std::memory_order_acquire);
    for (unsigned spins = 0; now == seen && !stop_.load(std::memory_order_relaxed); ++spins) {
      if (spins % 64 == 63) {
        const auto idle = Clock::now() - idleSince;
        if (idle > kYield) {
          std::unique_lock<std::mutex> lock(sleep_);
          wake_.wait(lock, [&] { return generation_.load() != seen || stop_.load(); });
        } else if (idle > kSpin) {
          std::this_thread::yield();
        }
      }
      KVR_CPU_RELAX();
      now = generation_.load(std::memory_order_acquire);
    }
    if (stop_.load()) return;
    seen = now;
    function_(context_, part, threads());
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace kvr::cpu
