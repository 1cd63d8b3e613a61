// The weights formats users have: one model written by real Python torch
// (tests/tools/make_weight_fixtures.py) as safetensors, torch.save zip and
// legacy .bin, sharded or not, loads to identical logits and fingerprints;
// malformed legacy files and shard indexes give clear errors.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "kvrecycle/weights_convert.h"
#include "kvrecycle/weights_report.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const std::vector<int> kProbe = {15496, 11, 703, 389, 345, 30, 314, 716, 50256, 0, 1024};

fs::path fixture(const std::string& name) {
  return fs::path(KVR_WEIGHT_FIXTURES) / name;
}

struct Loaded {
  std::vector<float> logits;
  std::string fingerprint;
  kvr::WeightsReport report;
};

Loaded load(const fs::path& dir) {
  const auto model = kvr::Model::load(dir);
  const auto cache = model->newCache(64);
  return {model->forward(*cache, kProbe, /*allLogits=*/true), model->fingerprint(),
          model->weights()};
}

struct CliRun {
  int exitCode = -1;
  QByteArray out, err;
};

CliRun cli(const QStringList& args) {
  QProcess p;
  p.start(kvr::test::cliPath(), args);
  if (!p.waitForFinished(300000)) qFatal("kvrecycle-cli did not finish");
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
          p.readAllStandardError()};
}

// A directory that links to files of the fixtures, to combine formats.
void link(const fs::path& dir, const fs::path& file) {
  fs::create_directories(dir);
  fs::create_symlink(file, dir / file.filename());
}

}  // namespace

class TestWeightFormats : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  Loaded reference_;

  fs::path scratch(const std::string& name) { return fs::path(tmp_.path().toStdString()) / name; }

  void expectLoadError(const fs::path& dir, const QStringList& parts) {
    try {
      kvr::Model::load(dir);
      QFAIL("a malformed checkpoint loaded");
    } catch (const kvr::Error& e) {
      for (const QString& part : parts) QVERIFY2(QString(e.what()).contains(part), e.what());
    }
  }

 private slots:
  void initTestCase() {
    QVERIFY2(fs::exists(fixture("safetensors/model.safetensors")),
             "fixtures missing: the CTest fixture make_weight_format_fixtures must run first");
    reference_ = load(fixture("safetensors"));
    QCOMPARE(reference_.report.format, std::string("safetensors"));
    QVERIFY(reference_.report.ignored.empty());
  }

  void everyFormatGivesIdenticalLogitsAndFingerprint_data() {
    QTest::addColumn<QString>("dir");
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("file");
    QTest::newRow("zip .bin") << "zip"
                              << "torch-zip"
                              << "pytorch_model.bin";
    QTest::newRow("legacy .bin") << "legacy"
                                 << "torch-legacy"
                                 << "pytorch_model.bin";
    QTest::newRow("legacy .bin, pickle protocol 4") << "legacy-protocol4"
                                                    << "torch-legacy"
                                                    << "pytorch_model.bin";
    QTest::newRow("legacy .bin, strided views with offsets") << "legacy-views"
                                                             << "torch-legacy"
                                                             << "pytorch_model.bin";
    QTest::newRow("2 safetensors shards") << "safetensors-sharded"
                                          << "safetensors-sharded"
                                          << "model.safetensors.index.json";
    QTest::newRow("2 zip .bin shards") << "zip-sharded"
                                       << "torch-zip-sharded"
                                       << "pytorch_model.bin.index.json";
    QTest::newRow("2 legacy .bin shards") << "legacy-sharded"
                                          << "torch-legacy-sharded"
                                          << "pytorch_model.bin.index.json";
  }
  void everyFormatGivesIdenticalLogitsAndFingerprint() {
    QFETCH(QString, dir);
    QFETCH(QString, format);
    QFETCH(QString, file);
    const Loaded loaded = load(fixture(dir.toStdString()));
    QCOMPARE(QString::fromStdString(loaded.report.format), format);
    QCOMPARE(QString::fromStdString(loaded.report.file.filename().string()), file);
    QCOMPARE(loaded.fingerprint, reference_.fingerprint);
    QCOMPARE(loaded.logits, reference_.logits);
    QVERIFY(loaded.report.tiedHead);
    QCOMPARE(loaded.report.parameters, reference_.report.parameters);
    QCOMPARE(loaded.report.shards.size(), size_t{format.endsWith("-sharded") ? 2u : 1u});
  }

  void reportsIgnoredBuffersAndTiedHead() {
    const Loaded legacy = load(fixture("legacy"));
    const auto& ignored = legacy.report.ignored;
    for (const char* name : {"transformer.h.0.attn.bias", "transformer.h.0.attn.masked_bias",
                             "transformer.h.1.attn.bias", "transformer.h.1.attn.masked_bias"}) {
      QVERIFY2(std::find(ignored.begin(), ignored.end(), name) != ignored.end(), name);
    }
    QCOMPARE(ignored.size(), size_t{4});
    QVERIFY(legacy.report.missing.empty());
    QCOMPARE(legacy.report.dtypes.at("F32"), 2 + 2 * 12 + 2 + 1);  // lm_head read, found tied
    const auto model = kvr::Model::load(fixture("legacy"));
    QCOMPARE(legacy.report.parameters, model->config().parameterCount());
  }

  void halfAndBfloat16Storages_data() {
    QTest::addColumn<QString>("label");
    QTest::addColumn<QString>("dtype");
    QTest::newRow("f16") << "f16"
                         << "F16";
    QTest::newRow("bf16") << "bf16"
                          << "BF16";
  }
  void halfAndBfloat16Storages() {
    QFETCH(QString, label);
    QFETCH(QString, dtype);
    const Loaded st = load(fixture(label.toStdString() + "-safetensors"));
    const Loaded legacy = load(fixture(label.toStdString() + "-legacy"));
    QCOMPARE(legacy.report.format, std::string("torch-legacy"));
    QVERIFY(legacy.report.dtypes.count(dtype.toStdString()) == 1);
    QCOMPARE(legacy.logits, st.logits);
    QCOMPARE(legacy.fingerprint, st.fingerprint);
    QVERIFY(legacy.fingerprint != reference_.fingerprint);  // other values, other weights
  }

  void prefersSafetensorsAndSaysWhatElseIsThere() {
    const fs::path dir = scratch("all-formats");
    link(dir, fixture("legacy/config.json"));
    link(dir, fixture("legacy/pytorch_model.bin"));
    for (const auto& entry : fs::directory_iterator(fixture("safetensors-sharded"))) {
      if (entry.path().filename() != "config.json") link(dir, entry.path());
    }
    link(dir, fixture("safetensors/model.safetensors"));
    kvr::WeightsReport r = kvr::inspectModelWeights(dir);
    QCOMPARE(r.format, std::string("safetensors"));
    QCOMPARE(r.alsoPresent.size(), size_t{2});
    QCOMPARE(r.alsoPresent[0].filename().string(), std::string("model.safetensors.index.json"));
    QCOMPARE(r.alsoPresent[1].filename().string(), std::string("pytorch_model.bin"));
    QCOMPARE(r.fingerprint, reference_.fingerprint);
    fs::remove(dir / "model.safetensors");
    r = kvr::inspectModelWeights(dir);
    QCOMPARE(r.format, std::string("safetensors-sharded"));
    fs::remove(dir / "model.safetensors.index.json");
    QCOMPARE(kvr::inspectModelWeights(dir).format, std::string("torch-legacy"));
  }

  void formatIsJudgedByContentNotName() {
    const fs::path dir = scratch("legacy-named-safetensors");
    fs::create_directories(dir);
    fs::copy_file(fixture("legacy/config.json"), dir / "config.json");
    fs::copy_file(fixture("legacy/pytorch_model.bin"), dir / "model.safetensors");
    const Loaded loaded = load(dir);
    QCOMPARE(loaded.report.format, std::string("torch-legacy"));
    QCOMPARE(loaded.fingerprint, reference_.fingerprint);
  }

  void convertsLegacyToSafetensors() {
    const fs::path dir = scratch("converted");
    fs::create_directories(dir);
    fs::copy_file(fixture("legacy/config.json"), dir / "config.json");
    kvr::convertWeights(fixture("legacy/pytorch_model.bin"), dir / "model.safetensors");
    const Loaded loaded = load(dir);
    QCOMPARE(loaded.logits, reference_.logits);
    QCOMPARE(loaded.fingerprint, reference_.fingerprint);
  }

  void malformedCheckpointsGiveClearErrors_data() {
    QTest::addColumn<QString>("dir");
    QTest::addColumn<QStringList>("parts");
    QTest::newRow("unexpected global")
        << "bad-global"
        << QStringList{"pytorch_model.bin", "refusing global 'posix.system'", "never runs code"};
    QTest::newRow("unexpected opcode")
        << "bad-opcode" << QStringList{"pytorch_model.bin", "EMPTY_SET", "not allowed"};
    QTest::newRow("truncated storage")
        << "bad-truncated" << QStringList{"pytorch_model.bin", "truncated", "(tensor '"};
    QTest::newRow("wrong element count")
        << "bad-count" << QStringList{"pytorch_model.bin", "wrong element count", "(tensor '"};
    QTest::newRow("view outside its storage")
        << "bad-view" << QStringList{"pytorch_model.bin", "outside its storage"};
    QTest::newRow("missing shard")
        << "bad-missing-shard"
        << QStringList{"pytorch_model.bin.index.json",
                       "shard 'pytorch_model-00002-of-00002.bin' is missing"};
    QTest::newRow("tensor absent from its shard")
        << "bad-absent-tensor"
        << QStringList{"pytorch_model.bin.index.json", "tensor 'lm_head.weight'",
                       "listed in shard 'pytorch_model-00001-of-00002.bin' but absent"};
  }
  void malformedCheckpointsGiveClearErrors() {
    QFETCH(QString, dir);
    QFETCH(QStringList, parts);
    expectLoadError(fixture(dir.toStdString()), parts);
  }

  void inspectModelCommand() {
    const QString legacy = QString::fromStdString(fixture("legacy").string());
    const CliRun json = cli({"inspect-model", legacy, "--json"});
    QVERIFY2(json.exitCode == 0, json.err.constData());
    const QJsonObject j = QJsonDocument::fromJson(json.out).object();
    QCOMPARE(j["weights_format"].toString(), QString("torch-legacy"));
    QCOMPARE(j["fingerprint"].toString(), QString::fromStdString(reference_.fingerprint));
    QCOMPARE(j["tied_head"].toBool(), true);
    QVERIFY(j["ignored"].toArray().contains(QString("transformer.h.1.attn.bias")));
    QCOMPARE(j["missing"].toArray().size(), 0);
    QCOMPARE(j["dtypes"].toObject()["F32"].toInt(), 29);

    const CliRun human = cli({"inspect-model", legacy});
    QCOMPARE(human.exitCode, 0);
    const QString text = QString::fromUtf8(human.out);
    for (const char* part : {"(torch-legacy)", "tied head:    yes", "transformer.h.0.attn.bias",
                             "missing:      none", reference_.fingerprint.c_str()}) {
      QVERIFY2(text.contains(part), qPrintable(text));
    }

    // A missing tensor is listed, and the exit status says the model cannot load.
    const fs::path dir = scratch("missing-tensor");
    link(dir, fixture("zip/config.json"));
    fs::create_directories(dir);
    fs::copy_file(fixture("safetensors-sharded/model-00001-of-00002.safetensors"),
                  dir / "model.safetensors");
    const CliRun incomplete =
        cli({"inspect-model", QString::fromStdString(dir.string()), "--json"});
    QCOMPARE(incomplete.exitCode, 1);
    QVERIFY2(incomplete.err.startsWith("error: ") && incomplete.err.contains("is missing"),
             incomplete.err.constData());
    const QJsonObject partial = QJsonDocument::fromJson(incomplete.out).object();
    QVERIFY(partial["missing"].toArray().contains(QString("ln_f.weight")));
    QCOMPARE(partial["fingerprint"].toString(), QString());
  }

  void generateSaysWhichWeightsItLoaded() {
    const CliRun run =
        cli({"generate", "--model", QString::fromStdString(fixture("legacy-sharded").string()),
             "--prompt", "Hello", "--max-new-tokens", "2"});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject j = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(j["weights_format"].toString(), QString("torch-legacy-sharded"));
    QVERIFY(j["weights_file"].toString().endsWith("pytorch_model.bin.index.json"));
  }
};

QTEST_GUILESS_MAIN(TestWeightFormats)
#include "test_weight_formats.moc"
