// The kvrecycle-cli contract: outputs, exit statuses and error lines.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "test_support.h"

namespace {

struct Run {
  int exitCode = -1;
  QByteArray out;
  QByteArray err;
  QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

Run cli(const QStringList& args) {
  QProcess p;
  p.start(kvr::test::cliPath(), args);
  if (!p.waitForFinished(300000)) qFatal("kvrecycle-cli did not finish");
  Run r;
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput();
  r.err = p.readAllStandardError();
  return r;
}

QString tiny() {
  return QString::fromStdString(kvr::test::tinyModel().string());
}

// One line on stderr, "error: ...", containing `needle`.
void expectErrorLine(const Run& r, int code, const QString& needle) {
  QCOMPARE(r.exitCode, code);
  const QList<QByteArray> lines = r.err.trimmed().split('\n');
  QVERIFY2(lines.first().startsWith("error: "), r.err.constData());
  QVERIFY2(QString(lines.first()).contains(needle), r.err.constData());
  if (code == 1) QCOMPARE(lines.size(), 1);
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString path(const QString& name) { return tmp_.filePath(name); }

 private slots:
  void makeModelIsReproducible() {
    for (const char* name : {"a", "b", "c"}) {
      const QString seed = QString(name) == "c" ? "2" : "1";
      const Run r =
          cli({"make-model", "--preset", "tiny", "--seed", seed, "--quiet", "--out", path(name)});
      QCOMPARE(r.exitCode, 0);
      QCOMPARE(r.json()["parameters"].toInteger(), 3382080);
    }
    const auto bytes = [&](const char* dir, const char* file) {
      return kvr::test::readBytes((path(dir) + "/" + file).toStdString());
    };
    QCOMPARE(bytes("a", "model.safetensors"), bytes("b", "model.safetensors"));
    QCOMPARE(bytes("a", "config.json"), bytes("b", "config.json"));
    QVERIFY(bytes("a", "model.safetensors") != bytes("c", "model.safetensors"));
    const QJsonObject config = QJsonDocument::fromJson(bytes("a", "config.json")).object();
    QVERIFY(config["kvrecycle_synthetic"].toBool());
    QCOMPARE(config["n_layer"].toInt(), 2);
  }

  void makeModelRefusesRealModels() {
    QDir().mkpath(path("real"));
    kvr::test::writeBytes((path("real") + "/config.json").toStdString(),
                          R"({"n_layer":2,"n_embd":64,"n_head":2,"n_positions":8,"vocab_size":9})");
    expectErrorLine(cli({"make-model", "--preset", "tiny", "--out", path("real")}), 1,
                    "refusing to overwrite");
    expectErrorLine(cli({"make-model", "--preset", "huge", "--out", path("x")}), 2, "preset");
  }

  void tokenizeText() {
    const Run r = cli({"tokenize", "--model", tiny(), "--text", "Hello world"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QByteArray("[15496,995]"));
  }

  void tokenizeJsonFile() {
    kvr::test::writeBytes(path("texts.json").toStdString(),
                          R"(["Hello world", "<|endoftext|>", ""])");
    const Run r = cli({"tokenize", "--model", tiny(), "--json-file", path("texts.json")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QByteArray("[[15496,995],[50256],[]]"));
    kvr::test::writeBytes(path("bad.json").toStdString(), R"(["ok", 5])");
    expectErrorLine(cli({"tokenize", "--model", tiny(), "--json-file", path("bad.json")}), 1,
                    "element 1");
  }

  void usageErrorsExitWithTwo() {
    expectErrorLine(cli({"tokenize", "--model", tiny()}), 2, "--text");
    expectErrorLine(cli({"generate", "--model", tiny()}), 2, "--prompt");
    expectErrorLine(cli({"frobnicate"}), 2, "frobnicate");
    expectErrorLine(cli({"generate", "--model", tiny(), "--prompt", "x", "--device", "tpu"}), 2,
                    "tpu");
    QCOMPARE(cli({}).exitCode, 2);
  }

  void generateReportsTokensAndTimings() {
    const Run r = cli({"generate", "--model", tiny(), "--prompt", "Hello world", "--max-new-tokens",
                       "5", "--ignore-eos", "--device", "cpu"});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = r.json();
    QCOMPARE(j["prompt_ids"].toArray(), (QJsonArray{15496, 995}));
    QCOMPARE(j["output_ids"].toArray().size(), 5);
    QVERIFY(j.contains("text"));
    QVERIFY(j["prefill_s"].toDouble() > 0);
    QVERIFY(j["decode_s"].toDouble() > 0);
    QVERIFY(j["synthetic"].toBool());
    QVERIFY(r.err.contains("meaningless"));
  }

  void brokenModelGivesOneErrorLine() {
    expectErrorLine(cli({"generate", "--model", path("missing"), "--prompt", "x"}), 1,
                    path("missing"));
    QDir().mkpath(path("broken"));
    kvr::test::copyModel(kvr::test::tinyModel(), path("broken").toStdString());
    const auto weights = (path("broken") + "/model.safetensors").toStdString();
    kvr::test::writeBytes(weights, kvr::test::readBytes(weights).left(5000));
    expectErrorLine(cli({"generate", "--model", path("broken"), "--prompt", "x"}), 1,
                    "model.safetensors");
    const Run tooLong =
        cli({"generate", "--model", tiny(), "--prompt", QString("word ").repeated(1100)});
    expectErrorLine(tooLong, 1, "exceeds the context");
  }

  void benchEngineReportsThroughputAndMachine() {
    const Run r = cli({"bench-engine", "--model", tiny(), "--prompt-tokens", "16", "--new-tokens",
                       "4", "--repeats", "3"});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = r.json();
    for (const char* key : {"prefill_tokens_per_s", "decode_tokens_per_s"}) {
      const QJsonObject s = j[key].toObject();
      QVERIFY2(s["median"].toDouble() > 0, key);
      QCOMPARE(s["samples"].toInt(), 3);
      QVERIFY(s.contains("iqr"));
    }
    QVERIFY(j["tokenizer_tokens_per_s"].toObject()["cold"].toDouble() > 0);
    QVERIFY(j["threads"].toInt() >= 1);
    QVERIFY(!j["torch_version"].toString().isEmpty());
    QVERIFY(!j["cpu_model"].toString().isEmpty());
    QVERIFY(j["memcpy_bandwidth_gbs"].toDouble() > 0);
    QVERIFY(j["decode_bound_tokens_per_s"].toDouble() > 0);
  }

  void logitsWritesNpy() {
    const Run r = cli({"logits", "--model", tiny(), "--ids", "15496,995", "--out", path("l.npy")});
    QCOMPARE(r.exitCode, 0);
    const QByteArray npy = kvr::test::readBytes(path("l.npy").toStdString());
    QVERIFY(npy.startsWith("\x93NUMPY"));
    QVERIFY(npy.contains("'shape': (2, 50257)"));
    QCOMPARE(npy.size() % 64, 2 * 50257 * 4 % 64);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
