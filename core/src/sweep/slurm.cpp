// The Slurm backend: the job-array script, submission with sbatch, and the
// tasks' states from squeue and sacct.
#include "kvrecycle/slurm.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "kvrecycle/atomic_write.h"
#include "kvrecycle/error.h"
#include "kvrecycle/text_file.h"
#include "kvrecycle/timestamps.h"
#include "sweep/child_process.h"

namespace kvr {
namespace {

namespace fs = std::filesystem;

// A word for bash: single-quoted, with ' written as '\''.
std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// "123_4" -> 4; "123_[2-5%2]" or "123_[1,3]" -> each task; another job -> none.
std::vector<int> taskIds(const std::string& jobField, const std::string& jobId) {
  const std::string prefix = jobId + "_";
  if (jobField.rfind(prefix, 0) != 0) return {};
  std::string rest = jobField.substr(prefix.size());
  std::vector<int> ids;
  if (rest.empty()) return ids;
  if (rest.front() != '[') {
    if (rest.find_first_not_of("0123456789") != std::string::npos) return {};
    return {std::stoi(rest)};
  }
  rest = rest.substr(1, rest.find_first_of("]%") - 1);
  std::stringstream ranges(rest);
  std::string range;
  while (std::getline(ranges, range, ',')) {
    const auto dash = range.find('-');
    try {
      const int first = std::stoi(range.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
      for (int i = first; i <= last && i - first < 1000000; ++i) ids.push_back(i);
    } catch (const std::exception&) {
      return {};
    }
  }
  return ids;
}

std::map<int, std::string> parseTaskLines(const std::string& output, const std::string& jobId,
                                          char separator) {
  std::map<int, std::string> tasks;
  std::stringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    line = trim(line);
    const auto at = line.find(separator);
    if (at == std::string::npos) continue;
    std::string state = trim(line.substr(at + 1));
    state = state.substr(0, state.find_first_of(" |"));  // "CANCELLED by 0" -> "CANCELLED"
    for (const int id : taskIds(trim(line.substr(0, at)), jobId)) tasks[id] = state;
  }
  return tasks;
}

// {0,1,2,3,5} -> "0-3,5"
std::string arrayRanges(std::vector<int> ids) {
  std::sort(ids.begin(), ids.end());
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(ids[i]) +
           (j > i ? "-" + std::to_string(ids[j]) : "");
    i = j + 1;
  }
  return out;
}

std::string firstLine(const std::string& text) {
  return trim(text.substr(0, text.find('\n')));
}

}  // namespace

fs::path SlurmSweepFolder::shard(int cell) const {
  return shards() / ("cell-" + std::to_string(cell) + ".sqlite");
}

SlurmSweepFolder defaultSlurmSweepFolder(const fs::path& db, const std::string& sweepId) {
  const fs::path absolute = fs::absolute(db);
  return {absolute.parent_path() / (absolute.stem().string() + "-sweeps") / sweepId};
}

std::string slurmArrayScript(const SweepSpec& spec, const std::vector<int>& cells,
                             const SlurmSweepFolder& folder, const std::string& cli) {
  if (cells.empty()) throw Error("no cells to submit");
  const SlurmSettings& s = spec.slurm;
  std::ostringstream out;
  out << "#!/bin/bash\n"
      << "# kvrecycle sweep '" << spec.id << "': " << cells.size()
      << " cells, one array task each.\n"
      << "#SBATCH --job-name=kvr-" << spec.id << "\n"
      << "#SBATCH --array=" << arrayRanges(cells) << "\n"
      << "#SBATCH --output=" << (folder.logs() / "cell-%a.out").string() << "\n"
      << "#SBATCH --ntasks=1\n";
  if (!s.partition.empty()) out << "#SBATCH --partition=" << s.partition << "\n";
  if (!s.time.empty()) out << "#SBATCH --time=" << s.time << "\n";
  if (s.cpusPerTask > 0) out << "#SBATCH --cpus-per-task=" << s.cpusPerTask << "\n";
  if (!s.gres.empty()) out << "#SBATCH --gres=" << s.gres << "\n";
  if (!s.memory.empty()) out << "#SBATCH --mem=" << s.memory << "\n";
  if (!s.account.empty()) out << "#SBATCH --account=" << s.account << "\n";
  for (const std::string& arg : s.sbatchArgs) out << "#SBATCH " << arg << "\n";
  out << "set -u\n";
  for (const std::string& line : s.setup) out << line << "\n";
  // Each task writes only its own shard, and writes it on the node's local disk
  // (SQLite's WAL needs a local file system), then copies it whole into the
  // shared folder. A shard already there is copied in first: a rerun task
  // finds its cell's completed run and skips it.
  out << "task=$SLURM_ARRAY_TASK_ID\n"
      << "shard=" << shellQuote((folder.shards() / "cell-").string()) << "\"$task\".sqlite\n"
      << "work=\"${TMPDIR:-/tmp}/kvrecycle-${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}-$task\"\n"
      << "mkdir -p \"$work\" || exit 1\n"
      << "if [ -f \"$shard\" ]; then cp \"$shard\" \"$work/cell.sqlite\" || exit 1; fi\n"
      << "# On a time limit or scancel the cell stops cleanly; its shard is still copied.\n"
      << "trap 'echo \"kvrecycle: task $task signalled\" >&2' TERM INT\n"
      << "status=0\n"
      << shellQuote(cli) << " sweep-cell --spec " << shellQuote(folder.spec().string())
      << " --cell \"$task\" --db \"$work/cell.sqlite\" || status=$?\n"
      << "if [ -f \"$work/cell.sqlite\" ]; then\n"
      << "  cp \"$work/cell.sqlite\" \"$shard.part\" && mv -f \"$shard.part\" \"$shard\" || "
         "status=1\n"
      << "fi\n"
      << "rm -rf \"$work\"\n"
      << "exit $status\n";
  return out.str();
}

void writeSlurmSweep(const SweepSpec& spec, const std::vector<int>& cells,
                     const SlurmSweepFolder& folder, const std::string& cli) {
  std::error_code ec;
  for (const fs::path& dir : {folder.directory, folder.shards(), folder.logs()}) {
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir.string() + ": cannot create folder: " + ec.message());
  }
  writeFileAtomically(folder.spec(), sweepSpecToJson(spec) + "\n");
  writeFileAtomically(folder.script(), slurmArrayScript(spec, cells, folder, cli));
}

std::string submitSlurmSweep(const SlurmSweepFolder& folder) {
  const sweep::CommandResult r =
      sweep::runCommand({"sbatch", "--parsable", folder.script().string()});
  if (!r.started) throw Error("sbatch: cannot run (is Slurm installed here?): " + r.err);
  if (r.exitCode != 0) {
    throw Error("sbatch failed (exit " + std::to_string(r.exitCode) + "): " + firstLine(r.err));
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER".
  const std::string jobId = firstLine(r.out).substr(0, firstLine(r.out).find(';'));
  if (jobId.empty() || jobId.find_first_not_of("0123456789") != std::string::npos) {
    throw Error("sbatch printed no job id: '" + firstLine(r.out) + "'");
  }
  nlohmann::ordered_json record;
  record["job_id"] = jobId;
  record["script"] = folder.script().string();
  record["submitted_at"] = utcNowIso8601();
  writeFileAtomically(folder.jobRecord(), record.dump(2) + "\n");
  return jobId;
}

std::string submittedJobId(const SlurmSweepFolder& folder) {
  if (!fs::exists(folder.jobRecord())) return "";
  const auto j = nlohmann::json::parse(readTextFile(folder.jobRecord()), nullptr, false);
  if (!j.is_object() || !j.contains("job_id") || !j["job_id"].is_string()) {
    throw Error(folder.jobRecord().string() + ": no job_id");
  }
  return j["job_id"].get<std::string>();
}

std::map<int, std::string> parseSqueueTasks(const std::string& output, const std::string& jobId) {
  return parseTaskLines(output, jobId, ' ');
}

std::map<int, std::string> parseSacctTasks(const std::string& output, const std::string& jobId) {
  return parseTaskLines(output, jobId, '|');
}

SlurmArrayState querySlurmArray(const std::string& jobId) {
  SlurmArrayState state;
  const sweep::CommandResult q =
      sweep::runCommand({"squeue", "-h", "-r", "-t", "all", "-j", jobId, "-o", "%i %T"});
  if (q.started && q.exitCode == 0) {
    state.tasks = parseSqueueTasks(q.out, jobId);
  } else {
    // squeue forgets finished jobs ("Invalid job id specified"): not an error.
    const std::string why = firstLine(q.err);
    if (why.find("Invalid job id") == std::string::npos) state.notes.push_back("squeue: " + why);
  }
  const sweep::CommandResult a =
      sweep::runCommand({"sacct", "-n", "-P", "-X", "-j", jobId, "-o", "JobID,State"});
  if (a.started && a.exitCode == 0) {
    for (const auto& [task, s] : parseSacctTasks(a.out, jobId)) state.tasks.emplace(task, s);
  } else {
    state.notes.push_back("sacct: " + firstLine(a.err.empty() ? a.out : a.err));
  }
  return state;
}

}  // namespace kvr
