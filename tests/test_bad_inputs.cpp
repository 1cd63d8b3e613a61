// Bad input through the command line, table-driven: every case exits with 1,
// prints one "error:" line naming the file (and position), and leaves the
// existing run store untouched.
#include <QCryptographicHash>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/resource.h>
#include <unistd.h>

#include <functional>

#include "kvrecycle/run_store.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

struct Result {
  int exitCode = -1;
  QByteArray err;
};

Result cli(const QStringList& args,
           const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(kvr::test::cliPath(), args);
  if (!p.waitForFinished(300000)) qFatal("kvrecycle-cli did not finish");
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardError()};
}

double peakChildRssMb() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace

class TestBadInputs : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString db_;
  QByteArray dbDigest_;

  QString path(const QString& name) const { return tmp_.filePath(name); }
  QString model() const { return QString::fromStdString(kvr::test::tinyModel().string()); }
  QString sample(const char* name) const {
    return QString::fromStdString(kvr::test::sampleFile(name).string());
  }

  QStringList runArgs(const QString& modelDir, const QString& cache, const QString& test,
                      const QString& db) const {
    return {"run", "--model",          modelDir, "--cache-prompts",
            cache, "--test-prompts",   test,     "--db",
            db,    "--repeats",        "1",      "--warmup",
            "0",   "--max-new-tokens", "2",      "--quiet"};
  }

  // The run store's logical content: runs and their results.
  QByteArray storeDigest(const QString& db) const {
    const kvr::RunStore store(db.toStdString(), /*readOnly=*/true);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const auto& run : store.listRuns()) {
      hash.addData(QByteArray::fromStdString(run.name + run.summaryJson + run.finishedAt));
      for (const auto& r : store.promptResults(run.id)) {
        hash.addData(QByteArray::fromStdString(r.promptText + r.baselineOutput));
      }
    }
    return hash.result();
  }

  QString brokenModel(const QString& name, const std::function<void(const fs::path&)>& breakIt) {
    const fs::path dir = path(name).toStdString();
    kvr::test::copyModel(kvr::test::tinyModel(), dir);
    breakIt(dir);
    return QString::fromStdString(dir.string());
  }

  void expectFailure(const Result& r, const QStringList& needles) {
    QCOMPARE(r.exitCode, 1);
    const QList<QByteArray> lines = r.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.first().startsWith("error: "), r.err.constData());
    for (const QString& n : needles) QVERIFY2(r.err.contains(n.toUtf8()), r.err.constData());
    QCOMPARE(storeDigest(db_), dbDigest_);  // nothing already stored changed
    QCOMPARE(kvr::RunStore(db_.toStdString(), true).integrityCheck(), std::string("ok"));
  }

 private slots:
  // First, while this process has no other children: a 100 MB CSV is streamed.
  void hugeCsvIsStreamedWithBoundedMemory() {
    kvr::test::writeBytes(path("small-bad.csv").toStdString(), "id,prompt\n1,\"x");
    cli({"run", "--model", model(), "--cache-prompts", path("small-bad.csv"), "--test-prompts",
         path("small-bad.csv"), "--db", path("unused.db")});
    const double base = peakChildRssMb();
    {
      QFile f(path("huge.csv"));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("id,prompt\n1,hello\n2,world\n3,\"");
      const QByteArray chunk(1 << 20, 'x');
      for (int i = 0; i < 100; ++i) f.write(chunk);
      f.write("\"\n");
    }
    const Result r = cli({"run", "--model", model(), "--cache-prompts", path("huge.csv"),
                          "--test-prompts", path("huge.csv"), "--db", path("unused.db")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains((path("huge.csv") + ":4:3: field exceeds 1 MiB").toUtf8()),
             r.err.constData());
    qInfo("peak RSS: %.0f MB for a tiny bad CSV, %.0f MB with the 100 MB CSV", base,
          peakChildRssMb());
    QVERIFY(peakChildRssMb() < base + 50);
    QVERIFY(!QFileInfo::exists(path("unused.db")));
    QFile::remove(path("huge.csv"));
  }

  void initTestCase() {}

  void prepareStore() {
    db_ = path("runs.db");
    const Result ok =
        cli(runArgs(model(), sample("study_cache.csv"), sample("study_test.csv"), db_));
    QCOMPARE(ok.exitCode, 0);
    dbDigest_ = storeDigest(db_);
  }

  void badCsvFiles_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("position");
    QTest::addColumn<QString>("message");
    QTest::newRow("unterminated quote") << QByteArray("id,prompt\n1,\"open\n") << ":2:3:"
                                        << "unterminated";
    QTest::newRow("no prompt column") << QByteArray("a,b\n1,2\n") << ":1:1:"
                                      << "missing prompt column";
    QTest::newRow("empty prompt") << QByteArray("id,prompt\n1,ok\n2,  \n") << ":3:"
                                  << "empty prompt";
    QTest::newRow("invalid UTF-8") << QByteArray("prompt\nfine\nbad \xff byte\n") << ":3:5:"
                                   << "invalid UTF-8";
    QTest::newRow("ragged row") << QByteArray("id,prompt\n1,a\n2,b,c\n") << ":3:"
                                << "expected 2 fields";
    QTest::newRow("empty file") << QByteArray() << ":1:1:"
                                << "no prompts";
    QTest::newRow("quote in field") << QByteArray("id,prompt\n1,say \"hi\"\n") << ":2:"
                                    << "quote";
  }
  void badCsvFiles() {
    QFETCH(QByteArray, content);
    QFETCH(QString, position);
    QFETCH(QString, message);
    const QString csv =
        path(QStringLiteral("bad-%1.csv").arg(QTest::currentDataTag()).replace(' ', '-'));
    kvr::test::writeBytes(csv.toStdString(), content);
    expectFailure(cli(runArgs(model(), csv, sample("study_test.csv"), db_)),
                  {csv + position, message});
    expectFailure(cli(runArgs(model(), sample("study_cache.csv"), csv, db_)), {csv + position});
  }

  void promptLongerThanContext() {
    const QString csv = path("long.csv");
    kvr::test::writeBytes(
        csv.toStdString(),
        ("id,prompt\nok,short\nhuge," + QString("word ").repeated(1100) + "\n").toUtf8());
    expectFailure(cli(runArgs(model(), sample("study_cache.csv"), csv, db_)),
                  {csv + ":3", "'huge'", "exceed the model's context of 1024"});
  }

  void brokenModelDirectories_data() {
    QTest::addColumn<QString>("dir");
    QTest::addColumn<QStringList>("needles");
    QTest::newRow("missing config")
        << brokenModel("no-config", [](const fs::path& d) { fs::remove(d / "config.json"); })
        << QStringList{"config.json", "missing"};
    QTest::newRow("config not JSON") << brokenModel("bad-config", [](const fs::path& d) {
      kvr::test::writeBytes(d / "config.json", "{\"n_layer\": ");
    }) << QStringList{"config.json", "invalid JSON"};
    QTest::newRow("missing weights")
        << brokenModel("no-weights", [](const fs::path& d) { fs::remove(d / "model.safetensors"); })
        << QStringList{"no weights"};
    QTest::newRow("truncated weights") << brokenModel("cut-weights", [](const fs::path& d) {
      const QByteArray b = kvr::test::readBytes(d / "model.safetensors");
      kvr::test::writeBytes(d / "model.safetensors", b.left(b.size() / 3));
    }) << QStringList{"model.safetensors", "truncated"};
    QTest::newRow("wrong tensor shape") << brokenModel("bad-vocab", [](const fs::path& d) {
      const QByteArray c = kvr::test::readBytes(d / "config.json");
      kvr::test::writeBytes(d / "config.json",
                            QByteArray(c).replace("\"n_embd\": 64", "\"n_embd\": 32"));
    }) << QStringList{"model.safetensors", "wte.weight", "shape"};
    QTest::newRow("broken merges") << brokenModel("bad-merges", [](const fs::path& d) {
      kvr::test::writeBytes(d / "merges.txt", "#version: 0.2\nnot-a-pair\n");
    }) << QStringList{"merges.txt:2"};
  }
  void brokenModelDirectories() {
    QFETCH(QString, dir);
    QFETCH(QStringList, needles);
    expectFailure(cli(runArgs(dir, sample("study_cache.csv"), sample("study_test.csv"), db_)),
                  needles);
  }

  void missingTokenizerEverywhere() {
    const QString dir = brokenModel("no-tokenizer", [](const fs::path& d) {
      fs::remove(d / "vocab.json");
      fs::remove(d / "merges.txt");
    });
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KVRECYCLE_DATA_DIR", path("empty-data"));
    expectFailure(cli(runArgs(dir, sample("study_cache.csv"), sample("study_test.csv"), db_), env),
                  {"no vocab.json", "run the setup script"});
  }

  void databasesWeCannotUse() {
    const QString garbage = path("garbage.db");
    kvr::test::writeBytes(garbage.toStdString(), QByteArray(4096, 'g'));
    const Result r1 =
        cli(runArgs(model(), sample("study_cache.csv"), sample("study_test.csv"), garbage));
    QCOMPARE(r1.exitCode, 1);
    QVERIFY2(r1.err.contains("garbage.db") && r1.err.contains("not a kvrecycle database"),
             r1.err.constData());
    QCOMPARE(kvr::test::readBytes(garbage.toStdString()), QByteArray(4096, 'g'));

    // A database written by a newer kvrecycle: bump the schema version in a copy.
    const QString newer = path("newer.db");
    QFile::copy(db_, newer);
    {
      QProcess sqlite;
      sqlite.start(QStringLiteral("/usr/bin/python3"),
                   {"-c",
                    "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                    "c.execute('PRAGMA user_version=99'); c.commit()",
                    newer});
      QVERIFY(sqlite.waitForFinished(30000));
      QCOMPARE(sqlite.exitCode(), 0);
    }
    const Result r2 =
        cli(runArgs(model(), sample("study_cache.csv"), sample("study_test.csv"), newer));
    QCOMPARE(r2.exitCode, 1);
    QVERIFY2(r2.err.contains("newer.db") && r2.err.contains("newer"), r2.err.constData());
  }

  void readOnlyDatabase() {
    const QString ro = path("readonly.db");
    QFile::copy(db_, ro);
    const QByteArray before = storeDigest(ro);
    // Root ignores file modes, so as root the file is made immutable instead.
    const bool root = ::geteuid() == 0;
    QProcess lock;
    if (root) {
      lock.start(QStringLiteral("chattr"), {"+i", ro});
      if (!lock.waitForFinished(10000) || lock.exitCode() != 0) {
        QSKIP("cannot make a read-only file here (chattr +i not permitted)");
      }
    } else {
      QFile::setPermissions(ro, QFileDevice::ReadOwner);
    }
    const Result r = cli(runArgs(model(), sample("study_cache.csv"), sample("study_test.csv"), ro));
    if (root) QProcess::execute(QStringLiteral("chattr"), {"-i", ro});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.trimmed().split('\n').size() == 1 && r.err.startsWith("error: ") &&
                 r.err.contains("readonly.db"),
             r.err.constData());
    QCOMPARE(storeDigest(ro), before);
  }

  void kvFilesFromElsewhere() {
    const QString store = path("runs-kv");
    const auto ids = kvr::test::listFiles(store.toStdString(), ".safetensors");
    QVERIFY(ids.size() >= 10);
    // Checked against another model, every entry is foreign.
    const Result foreign =
        cli({"kv-verify", "--model", QString::fromStdString(kvr::test::tinyChaoticModel().string()),
             "--store", store});
    QCOMPARE(foreign.exitCode, 1);
    QVERIFY2(foreign.err.contains("made by model") && foreign.err.contains(".safetensors"),
             foreign.err.constData());
    // A truncated entry is named; the others still verify.
    const QString victim = QString::fromStdString(ids.front());
    const QByteArray bytes = kvr::test::readBytes(victim.toStdString());
    kvr::test::writeBytes(victim.toStdString(), bytes.left(bytes.size() / 2));
    const Result cut = cli({"kv-verify", "--model", model(), "--store", store});
    QCOMPARE(cut.exitCode, 1);
    QVERIFY2(
        cut.err.contains(QFileInfo(victim).fileName().toUtf8()) && cut.err.contains("truncated"),
        cut.err.constData());
    QVERIFY(!cut.err.contains("more)"));
    // A run over the damaged store falls back for that entry and still stores exact results.
    QCOMPARE(
        cli(runArgs(model(), sample("study_cache.csv"), sample("study_test.csv"), path("after.db")))
            .exitCode,
        0);
    kvr::test::writeBytes(victim.toStdString(), bytes);
  }

  void twoProcessesWritingOneDatabase() {
    const QString db = path("shared.db");
    QProcess a, b;
    const QStringList args =
        runArgs(model(), sample("study_cache.csv"), sample("study_test.csv"), db);
    a.start(kvr::test::cliPath(), args);
    b.start(kvr::test::cliPath(), args);
    QVERIFY(a.waitForFinished(300000) && b.waitForFinished(300000));
    QCOMPARE(a.exitCode(), 0);
    QCOMPARE(b.exitCode(), 0);
    const kvr::RunStore store(db.toStdString(), true);
    QCOMPARE(store.integrityCheck(), std::string("ok"));
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), size_t{2});
    for (const auto& run : runs) {
      QCOMPARE(run.status, kvr::RunStatus::Completed);
      QCOMPARE(store.promptResults(run.id).size(), size_t{7});
    }
  }
};

QTEST_GUILESS_MAIN(TestBadInputs)
#include "test_bad_inputs.moc"
