#pragma once
// A small persistent pool for the CPU forward: the caller plus (threads - 1)
// workers each take one part of a job. Workers spin briefly between jobs (a
// decode step runs ~50 short jobs back to back), then yield, then sleep, so
// they do not compete with OpenBLAS's own threads during a prefill's GEMMs.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kvr::cpu {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(part, parts) for every part in [0, parts) and returns when all
  // have finished. A second caller while a job runs gets its parts run inline.
  template <class Task>
  void run(Task&& task) {
    runJob([](void* context, int part, int parts) { (*static_cast<Task*>(context))(part, parts); },
           &task);
  }

 private:
  using JobFunction = void (*)(void*, int, int);
  void runJob(JobFunction function, void* context);
  void workerLoop(int part);

  std::vector<std::thread> workers_;
  std::mutex busy_;   // one job at a time
  std::mutex sleep_;  // guards the wake-up of sleeping workers
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  JobFunction function_ = nullptr;
  void* context_ = nullptr;
};

// [begin, end) of part `part` of `count` items split into `parts`, boundaries
// on multiples of `align` so matrix-vector rows stay in whole blocks.
inline void partRange(int count, int part, int parts, int align, int& begin, int& end) {
  const int blocks = (count + align - 1) / align;
  begin = std::min(count, blocks * part / parts * align);
  end = std::min(count, blocks * (part + 1) / parts * align);
}

}  // namespace kvr::cpu
