#include "io/process_liveness.h"

#include <signal.h>

#include <cerrno>
#include <limits>

namespace kvr::io {

bool processExists(int64_t pid) {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;
  return !(::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH);
}

}  // namespace kvr::io
