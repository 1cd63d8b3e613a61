#pragma once
// The Slurm backend of a sweep: a job array whose task I runs
// `kvrecycle-cli sweep-cell --cell I` into its own shard database in a shared
// folder (many SQLite writers over a network file system would corrupt one
// database). Layout of the folder:
//   spec.json            the spec as submitted (base_dir absolute)
//   sweep.sbatch         the job-array script
//   job.json             the job id, cells and submission time
//   shards/cell-I.sqlite the shard of task I (its K/V store beside it)
//   logs/cell-I.out      the task's stdout and stderr
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kvrecycle/sweep.h"

namespace kvr {

struct SlurmSweepFolder {
  std::filesystem::path directory;
  std::filesystem::path spec() const { return directory / "spec.json"; }
  std::filesystem::path script() const { return directory / "sweep.sbatch"; }
  std::filesystem::path jobRecord() const { return directory / "job.json"; }
  std::filesystem::path shards() const { return directory / "shards"; }
  std::filesystem::path shard(int cell) const;
  std::filesystem::path logs() const { return directory / "logs"; }
};

// Beside the database a sweep merges into: <db folder>/<db stem>-sweeps/<sweep id>.
SlurmSweepFolder defaultSlurmSweepFolder(const std::filesystem::path& db,
                                         const std::string& sweepId);

// The job-array script running the given cells (array task id = cell index;
// a resubmission lists only the cells still to run); `cli` is the
// kvrecycle-cli the nodes run.
std::string slurmArrayScript(const SweepSpec& spec, const std::vector<int>& cells,
                             const SlurmSweepFolder& folder, const std::string& cli);

// Creates the folder (shards/, logs/) and writes spec.json and sweep.sbatch.
void writeSlurmSweep(const SweepSpec& spec, const std::vector<int>& cells,
                     const SlurmSweepFolder& folder, const std::string& cli);

// Runs `sbatch --parsable SCRIPT`, records the job id in job.json and returns
// it. Throws kvr::Error with sbatch's message when it fails or is missing.
std::string submitSlurmSweep(const SlurmSweepFolder& folder);
// The job id recorded by submitSlurmSweep; "" when none was submitted.
std::string submittedJobId(const SlurmSweepFolder& folder);

// What Slurm says about each array task: "PENDING", "RUNNING", "COMPLETED",
// "FAILED", "TIMEOUT"... Tasks Slurm no longer lists are missing.
struct SlurmArrayState {
  std::map<int, std::string> tasks;
  std::vector<std::string> notes;  // e.g. "sacct: accounting storage is disabled"
};
// Asks squeue, then sacct for the tasks squeue no longer shows.
SlurmArrayState querySlurmArray(const std::string& jobId);

// Parsers of `squeue -h -r -t all -j JOB -o "%i %T"` and
// `sacct -n -P -X -j JOB -o JobID,State` output (pure, for tests). A pending
// range "123_[2-5]" stands for each of its tasks.
std::map<int, std::string> parseSqueueTasks(const std::string& output, const std::string& jobId);
std::map<int, std::string> parseSacctTasks(const std::string& output, const std::string& jobId);

}  // namespace kvr
