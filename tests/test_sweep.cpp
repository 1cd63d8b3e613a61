// Sweeps without a model: the spec, the grid and its cell identity, resuming,
// merging shards, and the Slurm script and queue parsers.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <set>

#include "kvrecycle/error.h"
#include "kvrecycle/run_merge.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/slurm.h"
#include "kvrecycle/sweep.h"
#include "kvrecycle/sweep_status.h"

namespace {

using kvr::RunStatus;

const char* kSpec = R"({
  "id": "grid-1",
  "fixed": {"model": "models/tiny", "repeats": 2, "ignore-eos": true, "kv-cache": "warm"},
  "axes": {"policy": ["paper", "longest-prefix"], "--max-new-tokens": [4, 8, 16]},
  "slurm": {"partition": "cpu", "time": "00:20:00", "cpus_per_task": 4, "gres": "gpu:1",
            "setup": ["module load kvrecycle"]}
})";

kvr::SweepSpec spec(const char* json = kSpec) {
  return kvr::parseSweepSpec(json, "/specs/sweep.json");
}

// The error of parsing `json`, or "" when it parses.
std::string specError(const std::string& json) {
  try {
    kvr::parseSweepSpec(json, "/specs/bad.json");
  } catch (const kvr::Error& e) {
    return e.what();
  }
  return "";
}

// A finished run of `cell` as the experiment would store it, with `prompts` results.
int64_t storeCellRun(kvr::RunStore& store, const kvr::SweepSpec& s, const kvr::SweepCell& cell,
                     RunStatus status, int prompts = 2) {
  kvr::RunRecord run;
  run.name = s.id + " [" + cell.label() + "]";
  run.tags = kvr::sweepCellTags(s, cell);
  run.configJson = R"({"cell":)" + std::to_string(cell.index) + "}";
  run.machineJson =
      R"({"hostname":"node7","slurm":{"array_task_id":")" + std::to_string(cell.index) + R"("}})";
  run.plannedPrompts = prompts;
  const int64_t id = store.createRun(run);
  for (int i = 0; i < prompts; ++i) {
    kvr::PromptResult r;
    r.index = i;
    r.promptId = "p" + std::to_string(i);
    r.baselineOutputIds = {cell.index, i};
    store.addPromptResult(id, r);
  }
  if (status != RunStatus::Running) {
    store.finishRun(id, status, "{}", status == RunStatus::Failed ? "disk full" : "");
  }
  return id;
}

nlohmann::json machineOf(const kvr::RunRecord& run) {
  return nlohmann::json::parse(run.machineJson);
}

}  // namespace

class TestSweep : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::string path(const char* name) const { return tmp_.filePath(name).toStdString(); }

 private slots:
  void specReadsFixedSettingsAxesAndSlurm() {
    const kvr::SweepSpec s = spec();
    QCOMPARE(s.id, std::string("grid-1"));
    QCOMPARE(s.baseDirectory, std::filesystem::path("/specs"));
    QCOMPARE(s.fixed.size(), size_t{4});
    QCOMPARE(s.fixed[1].value, std::string("2"));
    QVERIFY(s.fixed[2].flag);
    QCOMPARE(s.axes.size(), size_t{2});
    QCOMPARE(s.axes[1].option, std::string("max-new-tokens"));  // leading dashes dropped
    QCOMPARE(s.slurm.cpusPerTask, 4);
    QCOMPARE(s.slurm.gres, std::string("gpu:1"));
    // The copy written for Slurm parses back to the same grid.
    const kvr::SweepSpec copy = kvr::parseSweepSpec(kvr::sweepSpecToJson(s), "/elsewhere/c.json");
    QCOMPARE(copy.baseDirectory, std::filesystem::path("/specs"));
    const auto a = kvr::expandSweep(s), b = kvr::expandSweep(copy);
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) QCOMPARE(a[i].key, b[i].key);
    QCOMPARE(copy.slurm.setup, s.slurm.setup);
  }

  void exampleSpecInResourcesParses() {
    const auto example = std::filesystem::path(KVR_SAMPLES) / "../sweeps/policy_x_tokens.json";
    const kvr::SweepSpec s = kvr::readSweepSpec(example);
    const auto cells = kvr::expandSweep(s);
    QCOMPARE(cells.size(), size_t{4});
    QCOMPARE(cells[3].label(), std::string("policy=longest-prefix max-new-tokens=32"));
    QCOMPARE(s.slurm.cpusPerTask, 2);
  }

  void specErrorsNameTheFileAndField() {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[1]", "bad.json: a sweep spec is a JSON object"},
        {"{", "bad.json: not valid JSON"},
        {R"({"fixed":{}})", "bad.json: id: expected"},
        {R"({"id":"a b"})", "bad.json: id: expected"},
        {R"({"id":"x","axis":{}})", "bad.json: axis: unknown field"},
        {R"({"id":"x","fixed":{"db":"a.db"}})", "fixed.db: the database is given on the command"},
        {R"({"id":"x","fixed":{"Policy":"paper"}})", "fixed.Policy: 'Policy' is not a run option"},
        {R"({"id":"x","axes":{"policy":[]}})", "axes.policy: expected a non-empty list"},
        {R"({"id":"x","axes":{"policy":["paper","paper"]}})", "axes.policy[1]: repeated value"},
        {R"({"id":"x","axes":{"repeats":[1,null]}})", "axes.repeats[1]: expected a string"},
        {R"({"id":"x","fixed":{"repeats":1},"axes":{"repeats":[2]}})",
         "axes.repeats: option is already fixed"},
        {R"({"id":"x","slurm":{"cpus_per_task":0}})", "slurm.cpus_per_task: expected a positive"},
        {R"({"id":"x","slurm":{"nodes":2}})", "slurm.nodes: unknown setting"},
    };
    for (const auto& [json, expected] : cases) {
      const std::string error = specError(json);
      QVERIFY2(error.find(expected) != std::string::npos, (json + " -> " + error).c_str());
    }
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::readSweepSpec(path("missing.json")));
  }

  void gridIsTheProductWithTheLastAxisFastest() {
    const auto cells = kvr::expandSweep(spec());
    QCOMPARE(cells.size(), size_t{6});
    QCOMPARE(cells[0].label(), std::string("policy=paper max-new-tokens=4"));
    QCOMPARE(cells[1].label(), std::string("policy=paper max-new-tokens=8"));
    QCOMPARE(cells[5].label(), std::string("policy=longest-prefix max-new-tokens=16"));
    const std::vector<std::string> expected = {
        "--model",  "models/tiny", "--repeats",        "2", "--ignore-eos", "--kv-cache", "warm",
        "--policy", "paper",       "--max-new-tokens", "8"};
    QCOMPARE(cells[1].arguments(), expected);
    std::set<std::string> keys;
    for (const auto& c : cells) keys.insert(c.key);
    QCOMPARE(keys.size(), cells.size());
    // A false flag is left out; a spec without axes is one cell.
    const auto one = kvr::expandSweep(spec(R"({"id":"one","fixed":{"ignore-eos":false}})"));
    QCOMPARE(one.size(), size_t{1});
    QVERIFY(one[0].arguments().empty());
  }

  void cellKeysSurviveReorderingAndDependOnTheSettings() {
    const auto cells = kvr::expandSweep(spec());
    const auto reordered = kvr::expandSweep(spec(R"({"id":"grid-1",
      "fixed": {"ignore-eos": true, "kv-cache": "warm", "repeats": 2, "model": "models/tiny"},
      "axes": {"max-new-tokens": [16, 8, 4], "policy": ["longest-prefix", "paper"]}})"));
    for (const auto& c : cells) {
      const auto same = std::find_if(reordered.begin(), reordered.end(),
                                     [&](const auto& r) { return r.key == c.key; });
      QVERIFY2(same != reordered.end(), c.label().c_str());
    }
    const auto otherRepeats = kvr::expandSweep(spec(R"({"id":"grid-1",
      "fixed": {"model": "models/tiny", "repeats": 3, "ignore-eos": true, "kv-cache": "warm"},
      "axes": {"policy": ["paper", "longest-prefix"], "max-new-tokens": [4, 8, 16]}})"));
    QVERIFY(otherRepeats[0].key != cells[0].key);
  }

  void tagsIdentifyTheCell() {
    const kvr::SweepSpec s = spec();
    const auto cells = kvr::expandSweep(s);
    kvr::RunRecord run;
    run.tags = kvr::sweepCellTags(s, cells[4]);
    QCOMPARE(run.tags[0], std::string("sweep:grid-1"));
    QCOMPARE(run.tags[1], std::string("sweep-cell:4"));
    QVERIFY(std::find(run.tags.begin(), run.tags.end(), "policy=longest-prefix") != run.tags.end());
    QCOMPARE(kvr::sweepIdOf(run), std::string("grid-1"));
    QCOMPARE(kvr::sweepKeyOf(run), cells[4].key);
    QCOMPARE(kvr::sweepIdOf(kvr::RunRecord{}), std::string());
    QCOMPARE(kvr::sweepCellIndexOf(run), 4);
    QCOMPARE(kvr::sweepGridCellsOf(run), 6);
    QCOMPARE(kvr::sweepSpecOf(run), std::string("/specs/sweep.json"));
    const auto axes = kvr::sweepAxisValuesOf(run);
    QCOMPARE(axes.size(), size_t{2});
    QCOMPARE(axes[0].option + "=" + axes[0].value, std::string("policy=longest-prefix"));
    QCOMPARE(axes[1].option + "=" + axes[1].value, std::string("max-new-tokens=8"));
  }

  // The status `sweep status` and the Sweeps tab read: the full grid when the
  // runs name a readable spec, else only the cells with a run.
  void sweepsInAStoreAreFoundByTheirTags() {
    const std::string specFile = path("listed.json");
    {
      QFile f(QString::fromStdString(specFile));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(R"({"id": "listed", "fixed": {"model": "m"},
                  "axes": {"policy": ["paper", "longest-prefix"], "min-reuse": [1, 2, 3]}})");
    }
    const kvr::SweepSpec s = kvr::readSweepSpec(specFile);
    const auto cells = kvr::expandSweep(s);
    kvr::RunStore store(path("listed.db"));
    storeCellRun(store, s, cells[0], RunStatus::Completed);
    storeCellRun(store, s, cells[4], RunStatus::Failed);
    storeCellRun(store, s, cells[4], RunStatus::Completed);  // rerun: the completed one counts
    const int64_t cancelled = storeCellRun(store, s, cells[5], RunStatus::Cancelled);
    kvr::RunRecord other;
    other.name = "not a sweep run";
    store.createRun(other);

    auto sweeps = kvr::sweepsInStore(store, /*querySlurm=*/false);
    QCOMPARE(sweeps.size(), size_t{1});
    const kvr::SweepStatus& full = sweeps[0];
    QVERIFY(full.fromSpec);
    QCOMPARE(full.totalCells, 6);
    QCOMPARE(full.axes, (std::vector<std::string>{"policy", "min-reuse"}));
    QCOMPARE(full.count(kvr::SweepCellState::Completed), 2);
    QCOMPARE(full.count(kvr::SweepCellState::Cancelled), 1);
    QCOMPARE(full.unfinished(), 1);
    QCOMPARE(full.count(kvr::SweepCellState::Pending), 3);
    QCOMPARE(full.cells[5].run->id, cancelled);

    // The spec gone: the cells with a run, their axes from the tags.
    QVERIFY(QFile::remove(QString::fromStdString(specFile)));
    sweeps = kvr::sweepsInStore(store, false);
    const kvr::SweepStatus& tagged = sweeps[0];
    QVERIFY(!tagged.fromSpec);
    QVERIFY(tagged.specError.find("listed.json") != std::string::npos);
    QCOMPARE(tagged.totalCells, 3);
    QCOMPARE(tagged.cells[1].cell, 4);
    QCOMPARE(tagged.cells[1].state, kvr::SweepCellState::Completed);
    QCOMPARE(tagged.cells[2].state, kvr::SweepCellState::Cancelled);
    QCOMPARE(tagged.axes, (std::vector<std::string>{"policy", "min-reuse"}));
  }

  void resumeSkipsCompletedCellsAndRerunsTheOthers() {
    const kvr::SweepSpec s = spec();
    const auto cells = kvr::expandSweep(s);
    kvr::RunStore store(path("resume.db"));
    const int64_t done0 = storeCellRun(store, s, cells[0], RunStatus::Completed);
    storeCellRun(store, s, cells[1], RunStatus::Failed);
    storeCellRun(store, s, cells[2], RunStatus::Cancelled);
    // A newer failed run does not hide a cell's completed one.
    storeCellRun(store, s, cells[3], RunStatus::Completed);
    storeCellRun(store, s, cells[3], RunStatus::Failed);
    const auto before = kvr::sweepCellRuns(s, cells, store);
    QVERIFY(before[0].done() && before[3].done());
    QCOMPARE(before[1].run->status, RunStatus::Failed);
    QVERIFY(!before[4].run);

    std::vector<int> ran;
    std::vector<double> etas;
    kvr::SweepCallbacks callbacks;
    callbacks.cellFinished = [&](const kvr::SweepCell&, RunStatus, const std::string&,
                                 const kvr::SweepProgress& p) { etas.push_back(p.etaSeconds); };
    const auto outcome = kvr::runSweep(
        s, cells, store,
        [&](const kvr::SweepCell& cell) {
          ran.push_back(cell.index);
          if (cell.index == 4) throw kvr::Error("model missing");
          storeCellRun(store, s, cell, RunStatus::Completed);
          return RunStatus::Completed;
        },
        callbacks);
    QCOMPARE(ran, (std::vector<int>{1, 2, 4, 5}));
    QCOMPARE(outcome.skipped, 2);
    QCOMPARE(outcome.completed, 3);
    QCOMPARE(outcome.failed, 1);
    QCOMPARE(etas.size(), size_t{4});
    QVERIFY(etas.front() >= 0);
    QCOMPARE(etas.back(), 0.0);
    const auto after = kvr::sweepCellRuns(s, cells, store);
    QCOMPARE(after[0].run->id, done0);  // not run again
    QVERIFY(after[1].done() && after[2].done() && after[5].done() && !after[4].done());

    // Cancelled before a cell: nothing more runs.
    std::atomic<bool> cancel{true};
    ran.clear();
    const auto stopped = kvr::runSweep(
        s, cells, store,
        [&](const kvr::SweepCell& c) { return ran.push_back(c.index), RunStatus::Completed; }, {},
        &cancel);
    QVERIFY(stopped.cancelled);
    QVERIFY(ran.empty());
  }

  void mergeIsIdempotentAndKeepsProvenance() {
    const kvr::SweepSpec s = spec();
    const auto cells = kvr::expandSweep(s);
    {
      kvr::RunStore shardA(path("cell-0.sqlite"));
      storeCellRun(shardA, s, cells[0], RunStatus::Failed);  // a first attempt
      storeCellRun(shardA, s, cells[0], RunStatus::Completed, 3);
      kvr::RunStore shardB(path("cell-1.sqlite"));
      storeCellRun(shardB, s, cells[1], RunStatus::Failed);
      kvr::RunRecord plain;  // not a sweep run, and of the other kind
      plain.name = "an eviction run";
      plain.kind = kvr::RunKind::Eviction;
      plain.configJson = plain.machineJson = "{}";
      const int64_t plainId = shardB.createRun(plain);
      kvr::EvictionResultRow row;
      row.promptId = "p";
      row.method = kvr::EvictionMethod::Window;
      row.budget = 8;
      shardB.addEvictionResult(plainId, row);
      shardB.finishRun(plainId, RunStatus::Completed, "{}");
    }
    kvr::RunStore target(path("merged.db"));
    const kvr::RunStore shardA(path("cell-0.sqlite"), true), shardB(path("cell-1.sqlite"), true);
    auto a = kvr::mergeRuns(target, shardA);
    QCOMPARE(a.copied, 1);
    QCOMPARE(a.notCompleted, 1);
    QVERIFY(a.notes.front().find("failed: disk full") != std::string::npos);
    auto b = kvr::mergeRuns(target, shardB);
    QCOMPARE(b.copied, 1);  // the plain run; the failed cell is reported, not copied
    QCOMPARE(b.notCompleted, 1);
    a = kvr::mergeRuns(target, shardA);
    b = kvr::mergeRuns(target, shardB);
    QCOMPARE(a.copied + b.copied, 0);
    QCOMPARE(a.alreadyPresent + b.alreadyPresent, 2);

    const auto runs = target.listRuns();
    QCOMPARE(runs.size(), size_t{2});
    QCOMPARE(runs.front().kind, kvr::RunKind::Eviction);  // its rows came along
    QCOMPARE(target.evictionResults(runs.front().id).size(), size_t{1});
    const kvr::RunRecord& cell0 = runs.back();
    QCOMPARE(cell0.status, RunStatus::Completed);
    QCOMPARE(kvr::sweepKeyOf(cell0), cells[0].key);
    QCOMPARE(cell0.plannedPrompts, 3);
    const auto results = target.promptResults(cell0.id);
    QCOMPARE(results.size(), size_t{3});
    QCOMPARE(results[2].baselineOutputIds, (std::vector<int>{0, 2}));
    const auto machine = machineOf(cell0);
    QCOMPARE(machine["slurm"]["array_task_id"].get<std::string>(), std::string("0"));
    QCOMPARE(machine["merged_from"]["hostname"].get<std::string>(), std::string("node7"));
    QCOMPARE(machine["merged_from"]["run_id"].get<int>(), 2);
    QVERIFY(machine["merged_from"]["database"].get<std::string>().find("cell-0.sqlite") !=
            std::string::npos);

    // A copy cut short by a crashed merge (left interrupted) is replaced, not doubled.
    kvr::RunStore shardC(path("cell-2.sqlite"));
    storeCellRun(shardC, s, cells[2], RunStatus::Completed);
    const kvr::RunStore shardCRead(path("cell-2.sqlite"), true);
    QCOMPARE(kvr::mergeRuns(target, shardCRead).copied, 1);
    const kvr::RunRecord copy = target.listRuns().front();
    target.deleteRun(copy.id);
    const int64_t broken = target.createRun(copy);  // same merged_from, no results
    target.finishRun(broken, RunStatus::Interrupted, "{}", "merge killed");
    QCOMPARE(kvr::mergeRuns(target, shardCRead).copied, 1);
    QVERIFY(!target.findRun(broken));
    QCOMPARE(target.listRuns().size(), size_t{3});
    QCOMPARE(target.promptResults(target.listRuns().front().id).size(), size_t{2});
  }

  void mergeCopiesEvictionRunsWithTheirRows() {
    kvr::RunStore source(path("eviction-source.db"));
    kvr::RunRecord run;
    run.name = "evict";
    run.kind = kvr::RunKind::Eviction;
    run.configJson = run.machineJson = "{}";
    const int64_t id = source.createRun(run);
    for (int i = 0; i < 2; ++i) {
      kvr::EvictionResultRow row;
      row.promptIndex = i;
      row.promptId = "p" + std::to_string(i);
      row.method = kvr::EvictionMethod::Window;
      row.budget = 32;
      row.fidelity.tokenAgreement = 0.5 + i;
      source.addEvictionResult(id, row);
    }
    source.finishRun(id, RunStatus::Completed, "{}");
    kvr::RunStore target(path("eviction-target.db"));
    QCOMPARE(kvr::mergeRuns(target, source).copied, 1);
    QCOMPARE(kvr::mergeRuns(target, source).copied, 0);
    const auto copied = target.listRuns();
    QCOMPARE(copied.size(), size_t{1});
    QCOMPARE(copied[0].kind, kvr::RunKind::Eviction);
    const auto rows = target.evictionResults(copied[0].id);
    QCOMPARE(rows.size(), size_t{2});
    QCOMPARE(rows[1].fidelity.tokenAgreement, 1.5);
    QCOMPARE(rows[1].method, kvr::EvictionMethod::Window);
  }

  void slurmScriptRunsOneCellPerArrayTask() {
    const kvr::SweepSpec s = spec();
    const kvr::SlurmSweepFolder folder{"/shared/it's here"};
    const std::string script =
        kvr::slurmArrayScript(s, {0, 1, 2, 3, 5}, folder, "/opt/kvr/bin/kvrecycle-cli");
    for (const char* line :
         {"#SBATCH --array=0-3,5\n", "#SBATCH --partition=cpu\n", "#SBATCH --time=00:20:00\n",
          "#SBATCH --cpus-per-task=4\n", "#SBATCH --gres=gpu:1\n",
          "#SBATCH --output=/shared/it's here/logs/cell-%a.out\n", "module load kvrecycle\n",
          "shard='/shared/it'\\''s here/shards/cell-'\"$task\".sqlite\n",
          "'/opt/kvr/bin/kvrecycle-cli' sweep-cell --spec '/shared/it'\\''s here/spec.json' "
          "--cell \"$task\" --db \"$work/cell.sqlite\" || status=$?\n",
          "mv -f \"$shard.part\" \"$shard\""}) {
      QVERIFY2(script.find(line) != std::string::npos, (line + std::string("\n") + script).c_str());
    }
    QVERIFY(script.find("--mem") == std::string::npos);  // unset resources stay unset
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::slurmArrayScript(s, {}, folder, "x"));
    QCOMPARE(kvr::defaultSlurmSweepFolder("/data/runs.db", "grid-1").directory,
             std::filesystem::path("/data/runs-sweeps/grid-1"));
  }

  void slurmQueueOutputParses() {
    const auto squeue = kvr::parseSqueueTasks(
        "123_[4-6%2] PENDING\n123_1 RUNNING\n1234_0 RUNNING\n123_2 COMPLETED\n\n", "123");
    QCOMPARE(squeue.size(), size_t{5});
    QCOMPARE(squeue.at(1), std::string("RUNNING"));
    QCOMPARE(squeue.at(5), std::string("PENDING"));
    QVERIFY(!squeue.count(0));  // job 1234 is another job
    const auto sacct = kvr::parseSacctTasks(
        "77_0|COMPLETED\n77_1|CANCELLED by 0\n77_[2,4]|PENDING\n77|RUNNING\n", "77");
    QCOMPARE(sacct.at(0), std::string("COMPLETED"));
    QCOMPARE(sacct.at(1), std::string("CANCELLED"));
    QCOMPARE(sacct.at(4), std::string("PENDING"));
    QCOMPARE(sacct.size(), size_t{4});
  }

  void slurmSubmissionWithoutSbatchFailsClearly() {
    const kvr::SlurmSweepFolder folder{path("nosbatch")};
    kvr::writeSlurmSweep(spec(), {0, 1}, folder, "kvrecycle-cli");
    QVERIFY(std::filesystem::exists(folder.script()));
    QVERIFY(std::filesystem::is_directory(folder.logs()));
    QCOMPARE(kvr::submittedJobId(folder), std::string());
    const char* oldPath = std::getenv("PATH");
    const std::string saved = oldPath == nullptr ? "" : oldPath;
    qputenv("PATH", tmp_.path().toUtf8());  // no sbatch here
    try {
      kvr::submitSlurmSweep(folder);
      QFAIL("submitted without sbatch");
    } catch (const kvr::Error& e) {
      QVERIFY2(std::string(e.what()).find("sbatch: cannot run") != std::string::npos, e.what());
    }
    qputenv("PATH", QByteArray::fromStdString(saved));
  }
};

QTEST_GUILESS_MAIN(TestSweep)
#include "test_sweep.moc"
