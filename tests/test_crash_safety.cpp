// What survives a crash: kvrecycle-cli killed with SIGKILL mid-run or while
// building the K/V cache, and K/V writes that fail (file size limit = a full disk).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <csignal>

#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"

namespace fs = std::filesystem;

class TestCrashSafety : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

  QString path(const QString& name) const { return tmp_.filePath(name); }
  QString model() const { return QString::fromStdString(kvr::test::tinyChaoticModel().string()); }

  // Long prompts sharing a prefix: enough work that a kill lands mid-run.
  void makeWorkload(const QString& cache, const QString& test, int prefixTokens, int count) {
    QProcess p;
    p.start(kvr::test::cliPath(),
            {"make-prompts", "--kind", "shared-prefix", "--prefix-tokens",
             QString::number(prefixTokens), "--suffix-tokens", "16", "--count",
             QString::number(count), "--cache-out", cache, "--test-out", test});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
  }

  size_t storedResults(const QString& db) const {
    try {
      const kvr::RunStore store(db.toStdString(), /*readOnly=*/true);
      const auto runs = store.listRuns();
      return runs.empty() ? 0 : store.promptResults(runs.front().id).size();
    } catch (const std::exception&) {
      return 0;  // not created yet
    }
  }

 private slots:
  void killDuringRunLeavesInterruptedRunWithResults() {
    const QString cache = path("cache.csv"), test = path("test.csv"), db = path("kill.db");
    makeWorkload(cache, test, 200, 40);
    QProcess run;
    run.start(kvr::test::cliPath(),
              {"run", "--model", model(), "--cache-prompts", cache, "--test-prompts", test, "--db",
               db, "--repeats", "3", "--max-new-tokens", "24", "--ignore-eos", "--quiet"});
    QVERIFY(run.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(storedResults(db) >= 2, 120000);
    ::kill(static_cast<pid_t>(run.processId()), SIGKILL);
    QVERIFY(run.waitForFinished(30000));
    QCOMPARE(run.exitStatus(), QProcess::CrashExit);

    // A read-only look (runs, export, History) already shows it interrupted,
    // with a summary of what it stored and the planned total beside it.
    QProcess list;
    list.start(kvr::test::cliPath(), {"runs", "--db", db, "--json"});
    QVERIFY(list.waitForFinished(60000));
    QCOMPARE(list.exitCode(), 0);
    const QJsonArray listed = QJsonDocument::fromJson(list.readAllStandardOutput()).array();
    QCOMPARE(listed.size(), 1);
    const QJsonObject seen = listed[0].toObject();
    QCOMPARE(seen["status"].toString(), QString("interrupted"));
    const int completed = seen["summary"].toObject()["prompts"].toInt();
    QVERIFY(completed >= 2);
    QCOMPARE(seen["summary"].toObject()["planned_prompts"].toInt(), 41);
    QCOMPARE(kvr::RunStore(db.toStdString(), true).findRun(1)->status, kvr::RunStatus::Interrupted);

    kvr::RunStore store(db.toStdString());  // the next open notices the dead writer
    QCOMPARE(store.integrityCheck(), std::string("ok"));
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), size_t{1});
    QCOMPARE(runs.front().status, kvr::RunStatus::Interrupted);
    const auto results = store.promptResults(runs.front().id);
    QVERIFY(results.size() >= 2 && results.size() < 41);
    QVERIFY(static_cast<int>(results.size()) >= completed);
    for (size_t i = 0; i < results.size(); ++i) {
      QCOMPARE(results[i].index, static_cast<int>(i));
      QVERIFY(results[i].exactMatch);
      QVERIFY(results[i].baselineTotalSeconds > 0);
      QCOMPARE(results[i].recycledOutputIds.size(), size_t{24});
    }
  }

  void killDuringCacheBuildNeverLeavesAHalfEntry() {
    const QString cache = path("big-cache.csv"), test = path("big-test.csv"), db = path("cache.db");
    // Many long cache prompts: each entry is ~0.5 MB written with fsync.
    QFile f(cache);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("id,prompt\n");
    for (int i = 0; i < 150; ++i) {
      f.write(QStringLiteral("c%1,\"%2 %1\"\n")
                  .arg(i)
                  .arg(QString("lorem ipsum dolor ").repeated(120))
                  .toUtf8());
    }
    f.close();
    kvr::test::writeBytes(test.toStdString(), "id,prompt\nt1,lorem ipsum dolor sit amet\n");
    const QStringList args = {
        "run", "--model",   model(), "--cache-prompts", cache, "--test-prompts",   test, "--db",
        db,    "--repeats", "1",     "--warmup",        "0",   "--max-new-tokens", "2",  "--quiet"};
    const fs::path storeDir = path("cache-kv").toStdString();
    for (int attempt = 0; attempt < 3; ++attempt) {
      QProcess run;
      run.start(kvr::test::cliPath(), args);
      QVERIFY(run.waitForStarted());
      QTRY_VERIFY_WITH_TIMEOUT(fs::exists(storeDir) && !fs::is_empty(storeDir), 60000);
      QTest::qWait(150 + 100 * attempt);
      ::kill(static_cast<pid_t>(run.processId()), SIGKILL);
      QVERIFY(run.waitForFinished(30000));
    }
    // Every entry that exists under its real name is complete and verifies.
    const auto tiny = kvr::Model::load(kvr::test::tinyChaoticModel());
    const kvr::KVStore store(storeDir);  // also clears the killed writers' temporary files
    const auto ids = store.entryIds();
    QVERIFY(!ids.empty());
    for (const auto& id : ids) store.verify(*tiny, id);
    for (const auto& entry : fs::directory_iterator(storeDir)) {
      QVERIFY2(entry.path().filename().string().find(".tmp.") == std::string::npos,
               entry.path().c_str());
    }
    // And the next run completes on top of what survived.
    QProcess again;
    again.start(kvr::test::cliPath(), args);
    QVERIFY(again.waitForFinished(300000));
    QCOMPARE(again.exitCode(), 0);
    QCOMPARE(kvr::RunStore(db.toStdString()).integrityCheck(), std::string("ok"));
  }

  void failedKvWriteIsReportedAndLeavesStoreConsistent() {
    // A 300 KB file size limit stands in for a full disk: the ~450 KB K/V entry
    // cannot be written, the small database can.
    const QString cache = path("fsize-cache.csv"), test = path("fsize-test.csv"),
                  db = path("fsize.db");
    makeWorkload(cache, test, 420, 2);
    QProcess run;
    run.start(QStringLiteral("/bin/bash"),
              {"-c", QStringLiteral("trap '' XFSZ; ulimit -f 300; exec \"$0\" \"$@\""),
               kvr::test::cliPath(), "run", "--model", model(), "--cache-prompts", cache,
               "--test-prompts", test, "--db", db, "--quiet"});
    QVERIFY(run.waitForFinished(120000));
    QCOMPARE(run.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.exitCode(), 1);
    const QByteArray err = run.readAllStandardError();
    QVERIFY2(
        err.contains("error: ") && err.contains(".safetensors") && err.contains("write failed"),
        err.constData());
    const fs::path storeDir = path("fsize-kv").toStdString();
    for (const auto& entry : fs::directory_iterator(storeDir)) {
      QVERIFY2(entry.path().extension() != ".safetensors",
               entry.path().c_str());  // no partial entry
      QVERIFY2(entry.path().filename().string().find(".tmp.") == std::string::npos,
               entry.path().c_str());  // the temporary file was removed
    }
    kvr::RunStore store(db.toStdString());
    QCOMPARE(store.integrityCheck(), std::string("ok"));
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), size_t{1});
    QCOMPARE(runs.front().status, kvr::RunStatus::Failed);
    QVERIFY(runs.front().error.find("write failed") != std::string::npos);
  }

  void deniedKvWriteIsReported() {
    // Permission denied on the store: as root (file modes do not apply) the
    // store directory is made immutable instead.
    const QString cache = path("deny-cache.csv"), test = path("deny-test.csv"),
                  db = path("deny.db");
    makeWorkload(cache, test, 40, 2);
    const QString store = path("deny-kv");
    QDir().mkpath(store);
    const bool root = ::geteuid() == 0;
    if (root) {
      if (QProcess::execute(QStringLiteral("chattr"), {"+i", store}) != 0) {
        QSKIP("cannot make a directory read-only here (chattr +i not permitted)");
      }
    } else {
      QFile::setPermissions(store, QFileDevice::ReadOwner | QFileDevice::ExeOwner);
    }
    QProcess run;
    run.start(kvr::test::cliPath(),
              {"run", "--model", model(), "--cache-prompts", cache, "--test-prompts", test, "--db",
               db, "--store", store, "--quiet"});
    QVERIFY(run.waitForFinished(120000));
    if (root) QProcess::execute(QStringLiteral("chattr"), {"-i", store});
    QCOMPARE(run.exitCode(), 1);
    const QByteArray err = run.readAllStandardError();
    QVERIFY2(err.contains("error: ") && err.contains("deny-kv") && err.contains("cannot create"),
             err.constData());
    QVERIFY(QDir(store).isEmpty());
    kvr::RunStore runs(db.toStdString());
    QCOMPARE(runs.integrityCheck(), std::string("ok"));
    QCOMPARE(runs.listRuns().front().status, kvr::RunStatus::Failed);
  }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "test_crash_safety.moc"
