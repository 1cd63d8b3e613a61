#pragma once
// Whether a process of this machine still exists: the test that lets the run
// store mark dead runs interrupted and the K/V store clean temporary files
// left by killed writers.
#include <cstdint>
#include <string>

namespace kvr::io {

// False only when no process has this pid (kill(pid, 0) fails with ESRCH);
// out-of-range pids do not exist.
bool processExists(int64_t pid);

// Who a process is: with the boot id and start time, a reused pid is not taken
// for the process that was recorded.
struct ProcessIdentity {
  int64_t pid = 0;
  std::string hostname;
  std::string bootId;
  int64_t startTicks = -1;  // clock ticks since boot; -1 when unknown
};

ProcessIdentity currentProcess();

// Start time of a process in clock ticks since boot, or -1 when unknown.
int64_t processStartTicks(int64_t pid);

// Whether the process recorded as (pid, recordedBoot, recordedStart) on this
// host is gone, judged from `self`, the process asking.
bool processIsGone(const ProcessIdentity& self, int64_t pid, const std::string& recordedBoot,
                   int64_t recordedStart);

}  // namespace kvr::io
