#pragma once
// What a measurement ran on: recorded with every benchmark and run.
#include <string>

namespace kvr {

struct SystemInfo {
  std::string cpuModel;
  int logicalCores = 0;
  std::string torchVersion;
  std::string faissVersion;   // the headers built against, "1.7.3"
  std::string sqliteVersion;  // the library loaded at run time
  std::string compiler;
  std::string kvrecycleVersion;
  bool cudaAvailable = false;
};

SystemInfo systemInfo();

// memcpy of `bytes`, median of `repeats` copies, in GB/s counted two ways:
struct MemcpyRates {
  double copyGBs = 0;     // bytes copied per second: what a K/V load should approach
  double trafficGBs = 0;  // bytes read + written per second: the memory traffic ceiling
};
MemcpyRates measureMemcpyRates(size_t bytes = size_t{256} << 20, int repeats = 7);

}  // namespace kvr
