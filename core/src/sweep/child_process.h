#pragma once
// Runs a program (sbatch, squeue, sacct) and collects what it printed.
#include <string>
#include <vector>

namespace kvr::sweep {

struct CommandResult {
  bool started = false;  // false: the program was not found or could not run
  int exitCode = -1;     // -1 when it died of a signal
  std::string out;
  std::string err;
};

// Searches PATH for argv[0]; stdin is /dev/null.
CommandResult runCommand(const std::vector<std::string>& argv);

}  // namespace kvr::sweep
