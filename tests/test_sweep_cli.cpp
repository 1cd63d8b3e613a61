// kvrecycle-cli sweep, sweep-cell, sweep status and merge on the tiny model:
// a sweep killed mid-way resumes, cells run into shards merge once, and a bad
// spec fails before anything runs.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

#include "kvrecycle/run_store.h"
#include "kvrecycle/slurm.h"
#include "kvrecycle/sweep.h"
#include "test_support.h"

namespace {

struct Run {
  int exitCode = -1;
  QByteArray out, err;
  QJsonObject json() const {
    return QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
  }
};

Run cli(const QStringList& args) {
  QProcess p;
  p.start(kvr::test::cliPath(), args);
  if (!p.waitForFinished(300000)) qFatal("kvrecycle-cli did not finish");
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
          p.readAllStandardError()};
}

std::vector<kvr::RunRecord> runsOf(const QString& db) {
  try {
    return kvr::RunStore(db.toStdString(), /*readOnly=*/true).listRuns();
  } catch (const std::exception&) {
    return {};  // not created yet
  }
}

int countStatus(const std::vector<kvr::RunRecord>& runs, kvr::RunStatus status) {
  return static_cast<int>(
      std::count_if(runs.begin(), runs.end(), [&](const auto& r) { return r.status == status; }));
}

}  // namespace

class TestSweepCli : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString path(const QString& name) const { return tmp_.filePath(name); }

  // A 2 x 2 grid; relative paths resolve against the spec's folder.
  QString writeSpec(const QString& name, const QString& id, const QString& testPrompts,
                    int maxNewTokens, const QString& axes) {
    const QString model = QString::fromStdString(kvr::test::tinyChaoticModel().string());
    const QString json = QString(R"({"id": "%1",
      "fixed": {"model": "%2", "cache-prompts": "cache.csv", "test-prompts": "%3",
                "repeats": 1, "warmup": 0, "ignore-eos": true, "max-new-tokens": %4},
      "axes": %5})")
                             .arg(id, model, testPrompts)
                             .arg(maxNewTokens)
                             .arg(axes);
    kvr::test::writeBytes(path(name).toStdString(), json.toUtf8());
    return path(name);
  }

 private slots:
  void initTestCase() {
    const Run r = cli({"make-prompts", "--kind", "shared-prefix", "--prefix-tokens", "200",
                       "--suffix-tokens", "16", "--count", "8", "--cache-out", path("cache.csv"),
                       "--test-out", path("test.csv")});
    QCOMPARE(r.exitCode, 0);
    QFile::copy(kvr::test::sampleFile("study_test.csv").c_str(), path("small.csv"));
  }

  void killedSweepResumesWhereItStopped() {
    const QString spec =
        writeSpec("kill.json", "kill", "test.csv", 8,
                  R"({"policy": ["paper", "longest-prefix"], "min-reuse": [1, 2]})");
    const QString db = path("kill.db");
    QProcess sweep;
    sweep.start(kvr::test::cliPath(), {"sweep", "--spec", spec, "--db", db});
    QVERIFY(sweep.waitForStarted());
    // Kill it inside the second cell, once that cell has stored a result.
    const auto midSecondCell = [&] {
      const auto runs = runsOf(db);
      if (countStatus(runs, kvr::RunStatus::Completed) != 1 || runs.size() != 2) return false;
      return !kvr::RunStore(db.toStdString(), true).promptResults(runs.front().id).empty();
    };
    QTRY_VERIFY_WITH_TIMEOUT(midSecondCell(), 120000);
    ::kill(static_cast<pid_t>(sweep.processId()), SIGKILL);
    QVERIFY(sweep.waitForFinished(30000));
    const auto killed = runsOf(db);
    const int64_t firstCellRun = killed.back().id;
    QCOMPARE(killed.front().status, kvr::RunStatus::Interrupted);  // seen as dead at once

    const Run status = cli({"sweep", "status", "--spec", spec, "--db", db, "--json"});
    QCOMPARE(status.exitCode, 0);
    const QJsonObject s = QJsonDocument::fromJson(status.out).object();
    QCOMPARE(s["completed_in_db"].toInt(), 1);
    QVERIFY(s["cells"].toArray()[1].toObject()["db"].toString().startsWith("interrupted"));

    const Run resumed = cli({"sweep", "--spec", spec, "--db", db});
    QVERIFY2(resumed.exitCode == 0, resumed.err.constData());
    QVERIFY(resumed.err.contains("cell 1/4 [policy=paper min-reuse=1] already completed"));
    QVERIFY(resumed.err.contains("ETA"));
    QCOMPARE(resumed.json()["skipped"].toInt(), 1);
    QCOMPARE(resumed.json()["completed"].toInt(), 3);

    const auto runs = runsOf(db);
    QCOMPARE(runs.size(), size_t{5});  // 4 cells + the interrupted attempt, kept
    QCOMPARE(countStatus(runs, kvr::RunStatus::Completed), 4);
    const kvr::SweepSpec parsed = kvr::readSweepSpec(spec.toStdString());
    const auto cells = kvr::expandSweep(parsed);
    const auto byCell = kvr::sweepCellRuns(parsed, cells, kvr::RunStore(db.toStdString(), true));
    QCOMPARE(byCell[0].run->id, firstCellRun);  // not run again
    for (const auto& c : byCell) {
      QVERIFY(c.done());
      QCOMPARE(c.run->plannedPrompts, 9);
      QVERIFY(c.run->name.find("kill [policy=") == 0);
    }
    // Once complete, a rerun runs nothing.
    const Run again = cli({"sweep", "--spec", spec, "--db", db});
    QCOMPARE(again.exitCode, 0);
    QCOMPARE(again.json()["skipped"].toInt(), 4);
    QCOMPARE(runsOf(db).size(), size_t{5});
  }

  void cellsIntoShardsMergeOnce() {
    const QString spec =
        writeSpec("shards.json", "shards", "small.csv", 2, R"({"min-reuse": [1, 2]})");
    for (const char* cell : {"0", "1"}) {
      const QString shard = path(QString("shard-%1.sqlite").arg(cell));
      const Run r = cli({"sweep-cell", "--spec", spec, "--cell", cell, "--db", shard});
      QVERIFY2(r.exitCode == 0, r.err.constData());
      QCOMPARE(r.json()["status"].toString(), QString("completed"));
      QCOMPARE(r.json()["cell"].toInt(), QString(cell).toInt());
    }
    // A task restarted by Slurm finds its cell done.
    const Run again =
        cli({"sweep-cell", "--spec", spec, "--cell", "1", "--db", path("shard-1.sqlite")});
    QCOMPARE(again.exitCode, 0);
    QVERIFY(again.err.contains("already completed"));
    QCOMPARE(runsOf(path("shard-1.sqlite")).size(), size_t{1});

    const QString into = path("merged.db");
    const Run first =
        cli({"merge", "--into", into, path("shard-0.sqlite"), path("shard-1.sqlite")});
    QVERIFY2(first.exitCode == 0, first.err.constData());
    QCOMPARE(first.json()["copied"].toInt(), 2);
    const Run second =
        cli({"merge", "--into", into, path("shard-1.sqlite"), path("shard-0.sqlite")});
    QCOMPARE(second.json()["copied"].toInt(), 0);
    QCOMPARE(second.json()["already_present"].toInt(), 2);
    const auto merged = runsOf(into);
    QCOMPARE(merged.size(), size_t{2});
    const kvr::RunStore store(into.toStdString(), true);
    const kvr::RunStore shard(path("shard-0.sqlite").toStdString(), true);
    const auto copied = store.promptResults(merged.back().id);
    const auto original = shard.promptResults(shard.listRuns().front().id);
    QCOMPARE(copied.size(), original.size());
    for (size_t i = 0; i < copied.size(); ++i) {
      QCOMPARE(copied[i].recycledOutputIds, original[i].recycledOutputIds);
      QCOMPARE(copied[i].baselineTtftSeconds, original[i].baselineTtftSeconds);
    }
    QVERIFY(merged.back().machineJson.find("merged_from") != std::string::npos);
    // The merged database answers `sweep status` like a local sweep's.
    const Run status = cli({"sweep", "status", "--spec", spec, "--db", into, "--json"});
    QCOMPARE(QJsonDocument::fromJson(status.out).object()["completed_in_db"].toInt(), 2);
  }

  void slurmScriptListsOnlyTheCellsLeft() {
    const QString spec =
        writeSpec("slurm.json", "slurm-nosubmit", "small.csv", 2,
                  R"({"policy": ["paper", "longest-prefix"], "min-reuse": [1, 2]})");
    const QString dir = path("shared");
    const Run first = cli({"sweep", "--backend", "slurm", "--spec", spec, "--db", path("s.db"),
                           "--dir", dir, "--no-submit", "--partition", "short", "--cpus", "2"});
    QVERIFY2(first.exitCode == 0, first.err.constData());
    const QString script =
        QString::fromUtf8(kvr::test::readBytes((dir + "/sweep.sbatch").toStdString()));
    QVERIFY(script.contains("#SBATCH --array=0-3\n"));
    QVERIFY(script.contains("#SBATCH --partition=short\n"));
    QVERIFY(script.contains("#SBATCH --cpus-per-task=2\n"));
    QVERIFY(script.contains(" sweep-cell --spec '" + dir + "/spec.json'"));
    QVERIFY(script.contains("shard='" + dir + "/shards/cell-'"));
    // The task for cell 2 ran (here, by hand): a resubmission leaves it out.
    const Run cell = cli({"sweep-cell", "--spec", dir + "/spec.json", "--cell", "2", "--db",
                          dir + "/shards/cell-2.sqlite"});
    QVERIFY2(cell.exitCode == 0, cell.err.constData());
    const Run second = cli({"sweep", "--backend", "slurm", "--spec", spec, "--db", path("s.db"),
                            "--dir", dir, "--no-submit"});
    QCOMPARE(second.exitCode, 0);
    QCOMPARE(second.json()["submitted_cells"].toInt(), 3);
    const QString again =
        QString::fromUtf8(kvr::test::readBytes((dir + "/sweep.sbatch").toStdString()));
    QVERIFY(again.contains("#SBATCH --array=0-1,3\n"));
  }

  void badSpecsFailBeforeAnythingRuns() {
    const QString db = path("bad.db");
    // An axis over an option `run` does not have: usage error naming the cell.
    const QString unknown =
        writeSpec("unknown.json", "bad", "small.csv", 2, R"({"polcy": ["paper"]})");
    Run r = cli({"sweep", "--spec", unknown, "--db", db});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.startsWith("error: ") && r.err.contains("unknown.json: cell 0") &&
                 r.err.contains("--polcy"),
             r.err.constData());
    // A value `run` would refuse.
    const QString value = writeSpec("value.json", "bad", "small.csv", 2, R"({"policy": ["lru"]})");
    r = cli({"sweep", "--spec", value, "--db", db});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("value.json: cell 0") && r.err.contains("lru"), r.err.constData());
    // A missing prompt file, in the second cell only.
    kvr::test::writeBytes(path("missing.json").toStdString(), R"({"id": "bad",
      "fixed": {"model": "tiny", "cache-prompts": "cache.csv"},
      "axes": {"test-prompts": ["small.csv", "nope.csv"]}})");
    r = cli({"sweep", "--spec", path("missing.json"), "--db", db});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("missing.json: cell 1") && r.err.contains("nope.csv"),
             r.err.constData());
    QVERIFY(runsOf(db).empty());
    // The spec itself, and the command line.
    kvr::test::writeBytes(path("broken.json").toStdString(),
                          R"({"id": "x", "axes": {"policy": "paper"}})");
    r = cli({"sweep", "--spec", path("broken.json"), "--db", db});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("broken.json: axes.policy: expected a non-empty list"),
             r.err.constData());
    QCOMPARE(cli({"sweep", "--db", db}).exitCode, 2);
    r = cli({"sweep-cell", "--spec", value, "--cell", "5", "--db", db});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("outside the sweep's 1 cells"), r.err.constData());
  }
};

QTEST_GUILESS_MAIN(TestSweepCli)
#include "test_sweep_cli.moc"
