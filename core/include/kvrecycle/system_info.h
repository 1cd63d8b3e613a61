#pragma once
// What a measurement ran on: recorded with every benchmark and run.
#include <string>

namespace kvr {

struct SystemInfo {
  std::string cpuModel;
  int logicalCores = 0;
  std::string torchVersion;
  std::string compiler;
  std::string kvrecycleVersion;
  bool cudaAvailable = false;
};

SystemInfo systemInfo();

// Measured copy bandwidth in GB/s (bytes read + written per second, median of
// `repeats` copies of `bytes`): the ceiling for memory-bound decoding.
double measureMemcpyBandwidthGBs(size_t bytes = size_t{256} << 20, int repeats = 7);

}  // namespace kvr
