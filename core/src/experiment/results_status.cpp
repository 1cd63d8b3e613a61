// Names of run statuses: the words stored in the database and shown to users.
#include "kvrecycle/error.h"
#include "kvrecycle/results.h"

namespace kvr {

const char* runStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::Running:
      return "running";
    case RunStatus::Completed:
      return "completed";
    case RunStatus::Cancelled:
      return "cancelled";
    case RunStatus::Failed:
      return "failed";
    case RunStatus::Interrupted:
      return "interrupted";
  }
  return "unknown";
}

RunStatus parseRunStatus(const std::string& name) {
  for (RunStatus status : {RunStatus::Running, RunStatus::Completed, RunStatus::Cancelled,
                           RunStatus::Failed, RunStatus::Interrupted}) {
    if (name == runStatusName(status)) return status;
  }
  throw Error("unknown run status '" + name +
              "' (expected running, completed, cancelled, failed or interrupted)");
}

const char* runKindName(RunKind kind) {
  return kind == RunKind::Eviction ? "eviction" : "recycling";
}

RunKind parseRunKind(const std::string& name) {
  for (RunKind kind : {RunKind::Recycling, RunKind::Eviction}) {
    if (name == runKindName(kind)) return kind;
  }
  throw Error("unknown run kind '" + name + "' (expected recycling or eviction)");
}

}  // namespace kvr
