#pragma once
// Wall-clock timestamps as kvrecycle records them (ISO 8601, UTC, whole
// seconds), and the one way it times durations (the monotonic clock).
#include <chrono>
#include <string>

namespace kvr {

// The current time, e.g. "2026-11-23T04:05:06Z".
std::string utcNowIso8601();

// Seconds since construction on the steady clock.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kvr
