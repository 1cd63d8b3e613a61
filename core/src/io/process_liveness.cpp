#include "io/process_liveness.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <limits>
#include <sstream>

namespace kvr::io {
namespace {

std::string hostName() {
  char buffer[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

std::string bootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace

bool processExists(int64_t pid) {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;
  return !(::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH);
}

// Field 22 of /proc/PID/stat.
int64_t processStartTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  const size_t paren = stat.rfind(')');  // the command name may hold spaces and ')'
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return -1;
  }
  try {
    return std::stoll(field);
  } catch (const std::exception&) {
    return -1;
  }
}

ProcessIdentity currentProcess() {
  ProcessIdentity self;
  self.pid = ::getpid();
  self.hostname = hostName();
  self.bootId = bootId();
  self.startTicks = processStartTicks(self.pid);
  return self;
}

bool processIsGone(const ProcessIdentity& self, int64_t pid, const std::string& recordedBoot,
                   int64_t recordedStart) {
  if (!recordedBoot.empty() && !self.bootId.empty() && recordedBoot != self.bootId) return true;
  if (!processExists(pid)) return true;
  // The pid exists: it is still the recording process unless it started at another time.
  if (recordedStart >= 0) {
    const int64_t start = processStartTicks(pid);
    if (start >= 0 && start != recordedStart) return true;
  }
  return false;
}

}  // namespace kvr::io
