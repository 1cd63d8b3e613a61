// The model catalog on fake hub caches and data directories: which folders
// count as models, which snapshot is used, what is skipped, where it looks.
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <filesystem>

#include "kvrecycle/model_catalog.h"
#include "kvrecycle/paths.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const QByteArray kGpt2Config = R"({"model_type": "gpt2", "n_layer": 2})";
const QByteArray kSyntheticConfig = R"({"model_type": "gpt2", "kvrecycle_synthetic": true})";

QStringList names(const std::vector<kvr::CatalogEntry>& entries) {
  QStringList out;
  for (const auto& e : entries) out << QString::fromStdString(e.name);
  return out;
}

// Sets an environment variable for one scope and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const QByteArray& value)
      : name_(name), had_(qEnvironmentVariableIsSet(name)), old_(qgetenv(name)) {
    if (value.isNull()) {
      qunsetenv(name);
    } else {
      qputenv(name, value);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      qputenv(name_, old_);
    } else {
      qunsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  bool had_;
  QByteArray old_;
};

}  // namespace

class TestModelCatalog : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path path(const char* name) const { return fs::path(tmp_.filePath(name).toStdString()); }

 private slots:
  void listsHubModelsWithTheirSnapshot() {
    const fs::path hub = path("hub");
    const fs::path small =
        kvr::test::writeHubModel(hub, "microsoft/DialoGPT-small", "abc123", kGpt2Config);
    // An older snapshot beside the one refs/main names is not the one used.
    fs::create_directories(small.parent_path() / "old");
    kvr::test::writeBytes(small.parent_path() / "old" / "config.json", kGpt2Config);
    kvr::test::writeHubModel(hub, "gpt2", "def456", kGpt2Config);

    const auto models = kvr::listHubModels(hub);
    QCOMPARE(names(models), QStringList({"gpt2", "microsoft/DialoGPT-small"}));
    const kvr::CatalogEntry& m = models[1];
    QCOMPARE(m.source, kvr::ModelSource::HubCache);
    QCOMPARE(m.path, hub / "models--microsoft--DialoGPT-small");
    QCOMPARE(m.snapshot, small);
    QCOMPARE(m.modelType, std::string("gpt2"));
    QVERIFY(!m.synthetic);
  }

  void withoutARefTheNewestSnapshotIsUsed() {
    const fs::path hub = path("hub-noref");
    const fs::path older = kvr::test::writeHubModel(hub, "org/model", "older", kGpt2Config);
    const fs::path newer = kvr::test::writeHubModel(hub, "org/model", "newer", kGpt2Config);
    fs::remove(hub / "models--org--model" / "refs" / "main");
    fs::last_write_time(older, fs::file_time_type::clock::now() - std::chrono::hours(1));
    const auto models = kvr::listHubModels(hub);
    QCOMPARE(models.size(), size_t{1});
    QCOMPARE(models[0].snapshot, newer);
  }

  void skipsWhatCannotBeLoaded() {
    const fs::path hub = path("hub-broken");
    kvr::test::writeHubModel(hub, "good/model", "s1", kGpt2Config);
    // An interrupted download: refs/main names a snapshot that never arrived.
    fs::create_directories(hub / "models--half--download" / "refs");
    kvr::test::writeBytes(hub / "models--half--download" / "refs" / "main", "missing");
    fs::create_directories(hub / "models--half--download" / "snapshots");
    kvr::test::writeHubModel(hub, "bad/json", "s1", "{not json");
    kvr::test::writeHubModel(hub, "array/config", "s1", "[1, 2]");
    kvr::test::writeHubModel(hub, "datasets-not-a-model", "s1", kGpt2Config);
    fs::rename(hub / "models--datasets-not-a-model", hub / "datasets--org--set");
    kvr::test::writeBytes(hub / "models--a--file", "not a directory");
    fs::create_directories(hub / "models--locked--out" / "snapshots");
    fs::permissions(hub / "models--locked--out", fs::perms::none);

    const auto models = kvr::listHubModels(hub);
    fs::permissions(hub / "models--locked--out", fs::perms::owner_all);
    QCOMPARE(names(models), QStringList({"good/model"}));
    QVERIFY(kvr::listHubModels(path("no-such-hub")).empty());
    QVERIFY(kvr::listHubModels(fs::path()).empty());
  }

  void listsOwnModelsInTheDataDirectory() {
    const fs::path models = path("data/models");
    fs::create_directories(models / "synthetic-tiny");
    kvr::test::writeBytes(models / "synthetic-tiny" / "config.json", kSyntheticConfig);
    fs::create_directories(models / "My-copy");
    kvr::test::writeBytes(models / "My-copy" / "config.json", kGpt2Config);
    fs::create_directories(models / "empty");
    kvr::test::writeBytes(models / "stray.txt", "x");

    const auto found = kvr::listDataDirectoryModels(models);
    QCOMPARE(names(found), QStringList({"My-copy", "synthetic-tiny"}));
    QVERIFY(!found[0].synthetic);
    QVERIFY(found[1].synthetic);
    QCOMPARE(found[1].source, kvr::ModelSource::DataDirectory);
    QCOMPARE(found[1].path, models / "synthetic-tiny");
    QCOMPARE(found[1].snapshot, found[1].path);
    QCOMPARE(QString(kvr::modelSourceName(found[1].source)), QString("data"));
  }

  void hubDirectoryFollowsHuggingFaceRules_data() {
    QTest::addColumn<QByteArray>("hubCache");
    QTest::addColumn<QByteArray>("hfHome");
    QTest::addColumn<QByteArray>("home");
    QTest::addColumn<QString>("expected");
    QTest::newRow("HF_HUB_CACHE wins")
        << QByteArray("/a/hub") << QByteArray("/b") << QByteArray("/h") << "/a/hub";
    QTest::newRow("then HF_HOME/hub")
        << QByteArray() << QByteArray("/b") << QByteArray("/h") << "/b/hub";
    QTest::newRow("then the home cache")
        << QByteArray() << QByteArray() << QByteArray("/h") << "/h/.cache/huggingface/hub";
    QTest::newRow("empty values are unset")
        << QByteArray("") << QByteArray("") << QByteArray("/h") << "/h/.cache/huggingface/hub";
  }
  void hubDirectoryFollowsHuggingFaceRules() {
    QFETCH(QByteArray, hubCache);
    QFETCH(QByteArray, hfHome);
    QFETCH(QByteArray, home);
    QFETCH(QString, expected);
    const ScopedEnv a("HF_HUB_CACHE", hubCache), b("HF_HOME", hfHome), c("HOME", home);
    QCOMPARE(QString::fromStdString(kvr::huggingFaceHubDirectory().string()), expected);
  }

  void listModelsReadsBothPlaces() {
    const fs::path hub = path("env-hub");
    kvr::test::writeHubModel(hub, "microsoft/DialoGPT-medium", "s1", kGpt2Config);
    const fs::path data = path("env-data");
    fs::create_directories(data / "models" / "synthetic-tiny");
    kvr::test::writeBytes(data / "models" / "synthetic-tiny" / "config.json", kSyntheticConfig);
    const ScopedEnv a("HF_HUB_CACHE", QByteArray::fromStdString(hub.string()));
    const ScopedEnv b("KVRECYCLE_DATA_DIR", QByteArray::fromStdString(data.string()));
    QCOMPARE(kvr::syntheticModelDirectory("tiny"), data / "models" / "synthetic-tiny");
    QCOMPARE(names(kvr::listModels()),
             QStringList({"microsoft/DialoGPT-medium", "synthetic-tiny"}));
  }
};

QTEST_GUILESS_MAIN(TestModelCatalog)
#include "test_model_catalog.moc"
