#include "kvrecycle/system_info.h"

#include <faiss/Index.h>
#include <sqlite3.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kvrecycle/stats.h"
#include "kvrecycle/timestamps.h"
#include "kvrecycle/version.h"

namespace kvr {
namespace {

std::string readCpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

SystemInfo systemInfo() {
  SystemInfo info;
  info.cpuModel = readCpuModel();
  info.logicalCores = static_cast<int>(std::thread::hardware_concurrency());
  info.torchVersion = TORCH_VERSION;
  info.faissVersion = std::to_string(FAISS_VERSION_MAJOR) + "." +
                      std::to_string(FAISS_VERSION_MINOR) + "." +
                      std::to_string(FAISS_VERSION_PATCH);
  info.sqliteVersion = sqlite3_libversion();
  info.compiler = "gcc " __VERSION__;
  info.kvrecycleVersion = kVersion;
  info.cudaAvailable = torch::cuda::is_available();
  return info;
}

MemcpyRates measureMemcpyRates(size_t bytes, int repeats) {
  std::vector<char> from(bytes, 1), to(bytes, 0);
  std::memcpy(to.data(), from.data(), bytes);  // warm-up: fault in every page
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    const Stopwatch clock;
    std::memcpy(to.data(), from.data(), bytes);
    const double s = clock.seconds();
    rates.push_back(static_cast<double>(bytes) / s / 1e9);
  }
  volatile char sink = to[bytes / 2];
  (void)sink;
  MemcpyRates result;
  result.copyGBs = summarize(rates).median;
  result.trafficGBs = 2.0 * result.copyGBs;
  return result;
}

}  // namespace kvr
