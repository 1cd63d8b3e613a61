#include "kvrecycle/run_merge.h"

#include <xxhash.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "kvrecycle/run_store.h"
#include "kvrecycle/sweep.h"

namespace kvr {
namespace {

using Json = nlohmann::ordered_json;

Json objectOrEmpty(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : Json::object();
}

// Where a run was made: stable across copies (a copy carries its original's origin).
std::string originOf(const RunRecord& run) {
  const Json machine = objectOrEmpty(run.machineJson);
  if (machine.contains("merged_from") && machine["merged_from"].contains("origin")) {
    return machine["merged_from"]["origin"].get<std::string>();
  }
  const std::string host = machine.value("hostname", std::string());
  return host + "|" + run.createdAt + "|" + std::to_string(run.id) + "|" +
         std::to_string(XXH64(run.configJson.data(), run.configJson.size(), 0));
}

bool isMergedCopy(const RunRecord& run) {
  return objectOrEmpty(run.machineJson).contains("merged_from");
}

std::string cellOf(const RunRecord& run) {
  const std::string id = sweepIdOf(run);
  return id.empty() ? "" : id + "/" + sweepKeyOf(run);
}

std::string describe(const RunRecord& run) {
  std::string cell;
  for (const std::string& tag : run.tags) {
    if (tag.rfind("sweep-cell:", 0) == 0) cell = " (cell " + tag.substr(11) + ")";
  }
  return "run " + std::to_string(run.id) + " '" + run.name + "'" + cell;
}

}  // namespace

MergeReport mergeRuns(RunStore& target, const RunStore& source) {
  std::set<std::string> completedCells;
  std::map<std::string, RunRecord> byOrigin;
  for (const RunRecord& run : target.listRuns()) {
    if (run.status == RunStatus::Completed && !cellOf(run).empty()) {
      completedCells.insert(cellOf(run));
    }
    byOrigin.emplace(originOf(run), run);
  }

  MergeReport report;
  std::vector<RunRecord> runs = source.listRuns();
  std::reverse(runs.begin(), runs.end());  // oldest first: ids keep their order
  for (const RunRecord& run : runs) {
    const std::string cell = cellOf(run);
    if (run.status == RunStatus::Running) {
      ++report.notCompleted;
      report.notes.push_back(describe(run) + " is still running: not merged");
      continue;
    }
    if (!cell.empty() && run.status != RunStatus::Completed) {
      ++report.notCompleted;
      report.notes.push_back(describe(run) + " " + runStatusName(run.status) +
                             (run.error.empty() ? "" : ": " + run.error) + ": not merged");
      continue;
    }
    if (!cell.empty() && completedCells.count(cell)) {
      ++report.alreadyPresent;
      continue;
    }
    const std::string origin = originOf(run);
    const auto existing = byOrigin.find(origin);
    if (existing != byOrigin.end()) {
      const RunRecord& there = existing->second;
      // Only a copy that a crashed merge left unfinished is replaced.
      if (!isMergedCopy(there) || there.status == run.status) {
        ++report.alreadyPresent;
        continue;
      }
      target.deleteRun(there.id);
    }

    RunRecord copy = run;
    Json machine = objectOrEmpty(run.machineJson);
    if (!machine.contains("merged_from")) {
      machine["merged_from"] = {{"origin", origin},
                                {"database", source.path().string()},
                                {"run_id", run.id},
                                {"hostname", machine.value("hostname", std::string())},
                                {"created_at", run.createdAt},
                                {"finished_at", run.finishedAt}};
    }
    copy.machineJson = machine.dump();
    const int64_t id = target.createRun(copy);
    for (const PromptResult& result : source.promptResults(run.id)) {
      target.addPromptResult(id, result);
    }
    if (run.kind == RunKind::Eviction) {
      for (const EvictionResultRow& row : source.evictionResults(run.id)) {
        target.addEvictionResult(id, row);
      }
    }
    target.finishRun(id, run.status, run.summaryJson, run.error);
    if (!cell.empty()) completedCells.insert(cell);
    ++report.copied;
  }
  return report;
}

}  // namespace kvr
