#!/bin/bash
# A 2 x 2 sweep through a real one-node Slurm cluster: submit as a job array,
# wait (bounded), merge the shards twice, and check every cell against the same
# sweep run locally. Fails with the reason when the cluster cannot start.
#   slurm_sweep_test.sh KVRECYCLE_CLI TINY_MODEL_DIR SAMPLES_DIR
set -u
cli=$(realpath "$1") model=$(realpath "$2") samples=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/slurm_local_cluster.sh"

work=$(mktemp -d /tmp/kvr-slurm-test.XXXXXX)
finish() {
  local rc=$?
  slurm_cluster_stop
  if [ $rc -eq 0 ]; then rm -rf "$work"; else echo "slurm test: files kept in $work" >&2; fi
  exit $rc
}
trap finish EXIT
fail() {
  echo "slurm test: FAILED: $*" >&2
  exit 1
}
started=$SECONDS

slurm_cluster_start "$work/cluster" || fail "the Slurm cluster did not start (see above)"
echo "slurm test: cluster up in $((SECONDS - started)) s"

cat >"$work/spec.json" <<EOF
{
  "id": "slurm-2x2",
  "fixed": {"model": "$model", "cache-prompts": "$samples/study_cache.csv",
            "test-prompts": "$samples/study_test.csv", "repeats": 1, "warmup": 0,
            "ignore-eos": true},
  "axes": {"policy": ["paper", "longest-prefix"], "max-new-tokens": [2, 5]},
  "slurm": {"time": "00:10:00", "cpus_per_task": 1}
}
EOF

# The shared folder is $work/sweep; the nodes (here: this machine) run this build's CLI.
submitted=$("$cli" sweep --backend slurm --spec "$work/spec.json" --db "$work/runs.db" \
  --dir "$work/sweep") || fail "sweep --backend slurm failed"
job=$(echo "$submitted" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])') ||
  fail "no job id in: $submitted"
grep -q -- '--array=0-3' "$work/sweep/sweep.sbatch" || fail "the script is not a 4-task array"
echo "slurm test: submitted job $job"

# The reference: the same grid run locally (while Slurm works).
"$cli" sweep --spec "$work/spec.json" --db "$work/local.db" 2>"$work/local.log" ||
  { cat "$work/local.log" >&2; fail "the local sweep failed"; }

deadline=$((SECONDS + 240))
while :; do
  status=$("$cli" sweep status --spec "$work/spec.json" --db "$work/runs.db" --dir "$work/sweep" \
    --json) || fail "sweep status failed"
  done_cells=$(echo "$status" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["completed_in_shards"])')
  queued=$(squeue -h -j "$job" 2>/dev/null | wc -l)
  [ "$done_cells" = 4 ] && [ "$queued" = 0 ] && break
  if [ $SECONDS -ge $deadline ]; then
    squeue >&2
    tail -n 20 "$work"/sweep/logs/*.out >&2
    fail "only $done_cells of 4 cells completed within 240 s"
  fi
  sleep 1
done
echo "slurm test: all 4 array tasks completed after $((SECONDS - started)) s"
"$cli" sweep status --spec "$work/spec.json" --db "$work/runs.db" --dir "$work/sweep"
# squeue -t all still lists the finished tasks (MinJobAge): status must read them.
"$cli" sweep status --spec "$work/spec.json" --db "$work/runs.db" --dir "$work/sweep" --json | /usr/bin/python3 -c '
import json, sys
states = [c["slurm"] for c in json.load(sys.stdin)["cells"]]
assert states == ["COMPLETED"] * 4, states' || fail "sweep status did not read the tasks from squeue"

"$cli" merge --into "$work/runs.db" "$work/sweep/shards" >"$work/merge1.json" || fail "merge failed"
"$cli" merge --into "$work/runs.db" "$work/sweep/shards"/*.sqlite >"$work/merge2.json" ||
  fail "second merge failed"

for db in runs local; do
  "$cli" runs --db "$work/$db.db" --json >"$work/$db-runs.json" || fail "runs --db $db.db failed"
  for id in $(/usr/bin/python3 -c 'import json,sys; print(*[r["id"] for r in json.load(open(sys.argv[1]))])' "$work/$db-runs.json"); do
    "$cli" export --db "$work/$db.db" --run "$id" --format json --out "$work/$db-run-$id.json" \
      >/dev/null || fail "export of run $id from $db.db failed"
  done
done

/usr/bin/python3 - "$work" "$job" <<'EOF' || fail "the merged results are wrong (see above)"
import glob, json, sys
work, job = sys.argv[1], sys.argv[2]
def load(db):
    runs = {}
    for f in glob.glob(f"{work}/{db}-run-*.json"):
        d = json.load(open(f))
        cell = next(int(t.split(":")[1]) for t in d["run"]["tags"] if t.startswith("sweep-cell:"))
        assert cell not in runs, f"{db}: cell {cell} has two runs"
        runs[cell] = d
    return runs
m1, m2 = (json.load(open(f"{work}/merge{i}.json")) for i in (1, 2))
assert m1["copied"] == 4 and m1["sources"] == 4, m1
assert m2["copied"] == 0 and m2["already_present"] == 4, m2
merged, local = load("runs"), load("local")
assert sorted(merged) == [0, 1, 2, 3], sorted(merged)
expect = {0: ("paper", 2), 1: ("paper", 5), 2: ("longest-prefix", 2), 3: ("longest-prefix", 5)}
for cell, d in sorted(merged.items()):
    run, machine, config = d["run"], d["machine"], d["config"]
    policy, tokens = expect[cell]
    assert run["status"] == "completed", (cell, run["status"])
    assert "sweep:slurm-2x2" in run["tags"], run["tags"]
    assert f"policy={policy}" in run["tags"] and f"max-new-tokens={tokens}" in run["tags"], run["tags"]
    assert config["policy"] == policy and config["max_new_tokens"] == tokens, config
    slurm = machine["slurm"]
    assert slurm["array_job_id"] == job and slurm["array_task_id"] == str(cell), slurm
    assert slurm["node"] == "kvrnode", slurm
    assert machine["threads"] == 1, machine  # --cpus-per-task 1 reached the engine
    assert machine["merged_from"]["database"].endswith(f"cell-{cell}.sqlite"), machine
    results, reference = d["results"], local[cell]["results"]
    assert len(results) == run["planned_prompts"] == 7, (cell, len(results))
    for r, ref in zip(results, reference):
        assert r["recycled_output_ids"] == r["baseline_output_ids"], (cell, r["prompt_id"])
        assert len(r["baseline_output_ids"]) == tokens, (cell, r["prompt_id"])
        assert r["baseline_output_ids"] == ref["baseline_output_ids"], (cell, r["prompt_id"])
        assert r["reused_tokens"] == ref["reused_tokens"], (cell, r["prompt_id"])
    print(f"cell {cell} ({policy}, {tokens} tokens): completed, 7 prompts, same tokens as local")
EOF
echo "slurm test: passed in $((SECONDS - started)) s"
