#pragma once
// Merging run databases (a sweep's shards) into one, through RunStore's
// public API. Idempotent: a sweep cell already completed in the target is not
// copied again, and any other run is recognised by its origin (host, creation
// time, run id and configuration), so merging a shard twice adds nothing.
// Provenance: the copy's machine JSON gains "merged_from" (source database,
// run id, host, created and finished times); the "slurm" job and task ids a
// run recorded when it ran stay in its machine JSON.
#include <string>
#include <vector>

namespace kvr {

class RunStore;

struct MergeReport {
  int copied = 0;
  int alreadyPresent = 0;
  int notCompleted = 0;  // sweep cells that failed, were cancelled or interrupted: not copied
  std::vector<std::string> notes;  // one line per run not copied for a reason worth reading
};

// Copies the runs of `source` into `target` with their prompt (or eviction) results, names,
// notes, tags and statuses. K/V cache entries are not copied (they stay with
// their store). A copy cut short by a crash is replaced by the next merge.
MergeReport mergeRuns(RunStore& target, const RunStore& source);

}  // namespace kvr
