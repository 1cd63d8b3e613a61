#pragma once
// Whether a process of this machine still exists: the test that lets the run
// store mark dead runs interrupted and the K/V store clean temporary files
// left by killed writers.
#include <cstdint>

namespace kvr::io {

// False only when no process has this pid (kill(pid, 0) fails with ESRCH);
// out-of-range pids do not exist.
bool processExists(int64_t pid);

}  // namespace kvr::io
