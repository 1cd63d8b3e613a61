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

Run cli(const QStringList& args,
        const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(env);
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
    QVERIFY(j["memcpy_traffic_gbs"].toDouble() > 0);
    QVERIFY(j["decode_bound_tokens_per_s"].toDouble() > 0);
    QCOMPARE(j["weights_dtype"].toString(), QString("fp32"));
    QVERIFY(!j.contains("fidelity"));  // float32 is the reference itself
  }

  // bf16 weights: half the bytes per decoded token, and the fidelity against
  // float32 reported with the speed; an unknown precision is a usage error.
  void benchEngineReportsBf16Fidelity() {
    const QStringList args = {"bench-engine",
                              "--model",
                              tiny(),
                              "--prompt-tokens",
                              "16",
                              "--new-tokens",
                              "4",
                              "--repeats",
                              "1",
                              "--device",
                              "cpu"};
    const Run fp32 = cli(args);
    const Run bf16 = cli(args + QStringList{"--weights-dtype", "bf16"});
    QCOMPARE(bf16.exitCode, 0);
    const QJsonObject j = bf16.json();
    QCOMPARE(j["weights_dtype"].toString(), QString("bf16"));
    QVERIFY(j["forward"].toString().contains("bf16 weights"));
    QCOMPARE(j["weight_bytes_per_decoded_token"].toDouble() * 2,
             fp32.json()["weight_bytes_per_decoded_token"].toDouble());
    const QJsonObject f = j["fidelity"].toObject();
    QCOMPARE(f["reference"].toString(), QString("fp32"));
    QCOMPARE(f["generated_tokens"].toInt(), 4);
    for (const char* key : {"greedy_token_agreement", "teacher_forced_top1_agreement"}) {
      QVERIFY2(f[key].toDouble() >= 0 && f[key].toDouble() <= 1, key);
    }
    QVERIFY(f.contains("first_divergence"));
    QVERIFY(f["max_abs_logit_delta"].toDouble() > 0);
    QVERIFY(f["reference_logit_spread"].toDouble() > 0);
    expectErrorLine(cli(args + QStringList{"--weights-dtype", "fp16"}), 2, "fp16");
  }

  void runPrintsTheStudyTableAndJson() {
    const QString cache = QString::fromStdString(kvr::test::sampleFile("study_cache.csv").string());
    const QString test = QString::fromStdString(kvr::test::sampleFile("study_test.csv").string());
    const QString db = path("runs.db");
    const Run r = cli({"run",
                       "--model",
                       QString::fromStdString(kvr::test::tinyChaoticModel().string()),
                       "--cache-prompts",
                       cache,
                       "--test-prompts",
                       test,
                       "--db",
                       db,
                       "--policy",
                       "paper",
                       "--repeats",
                       "1",
                       "--warmup",
                       "0",
                       "--max-new-tokens",
                       "4",
                       "--ignore-eos",
                       "--name",
                       "cli smoke"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("| Cache hits | 6 |"));
    QVERIFY(r.out.contains("Exact-match rate"));
    const QJsonObject last = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    for (const char* key :
         {"run_id", "prompts", "cache_hits", "tokens_reused", "exact_match_rate", "reused_prompts",
          "exact_reused", "noisy_prompts", "avg_speedup_ci95", "avg_ttft_speedup_ci95",
          "avg_speedup_pct", "avg_ttft_speedup", "avg_output_similarity", "avg_prompt_similarity",
          "latency_baseline_avg_s", "latency_recycled_avg_s", "fallbacks"}) {
      QVERIFY2(last.contains(key), key);
    }
    QCOMPARE(last["prompts"].toInt(), 7);
    QCOMPARE(last["exact_match_rate"].toDouble(), 1.0);
    QVERIFY(QDir(path("runs-kv")).entryList({"*.safetensors"}).size() == 10);

    const Run runs = cli({"runs", "--db", db, "--json"});
    QCOMPARE(runs.exitCode, 0);
    const QJsonArray list = QJsonDocument::fromJson(runs.out).array();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list[0].toObject()["name"].toString(), QString("cli smoke"));
    QCOMPARE(list[0].toObject()["status"].toString(), QString("completed"));

    const QString id = QString::number(last["run_id"].toInteger());
    for (const char* format : {"csv", "md", "json", "tex"}) {
      const QString out = path(QString("export.") + format);
      QCOMPARE(cli({"export", "--db", db, "--run", id, "--format", format, "--out", out}).exitCode,
               0);
      QVERIFY(QFileInfo(out).size() > 100);
    }
    const QByteArray csv = kvr::test::readBytes(path("export.csv").toStdString());
    QVERIFY(csv.startsWith("run_id,run_name,run_started_at,run_duration_s"));
    QCOMPARE(csv.trimmed().split('\n').size(), 8);
    const QJsonArray exported =
        QJsonDocument::fromJson(kvr::test::readBytes(path("export.json").toStdString()))
            .object()["results"]
            .toArray();
    QCOMPARE(exported.size(), 7);
    // Every format carries the noise verdict of each prompt.
    QVERIFY(exported[0].toObject().contains("noisy"));
    QVERIFY(exported[0].toObject().contains("noise_reason"));
    QVERIFY(csv.split('\n').first().contains(",noisy,noise_reason,"));
    QVERIFY(kvr::test::readBytes(path("export.md").toStdString()).contains("| noisy |"));
    QVERIFY(kvr::test::readBytes(path("export.tex").toStdString()).contains("& noisy \\\\"));
    expectErrorLine(
        cli({"export", "--db", db, "--run", "999", "--format", "csv", "--out", path("x.csv")}), 1,
        "run 999 does not exist");
  }

  // --cost-model on: calibrates once per model and machine (stored beside the
  // store), decides every prompt the planner offers reuse for, keeps declined
  // prompts at a full prefill with their recycled path timed, stays exact.
  void runWithCostModelRecordsDecisions() {
    const QString cache = QString::fromStdString(kvr::test::sampleFile("study_cache.csv").string());
    const QString test = QString::fromStdString(kvr::test::sampleFile("study_test.csv").string());
    const QString db = path("cost.db");
    const QStringList args{"run",
                           "--model",
                           QString::fromStdString(kvr::test::tinyChaoticModel().string()),
                           "--cache-prompts",
                           cache,
                           "--test-prompts",
                           test,
                           "--db",
                           db,
                           "--repeats",
                           "1",
                           "--warmup",
                           "0",
                           "--max-new-tokens",
                           "4",
                           "--ignore-eos",
                           "--cost-model",
                           "on"};
    const Run r = cli(args);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.contains("cost model: calibrating prefill fp32/warm loads"), r.err.constData());
    const QJsonObject last = QJsonDocument::fromJson(r.out.trimmed().split('\n').last()).object();
    QCOMPARE(last["cost_model"].toString(), QString("on"));
    const int decisions = last["cost_model_decisions"].toInt();
    QVERIFY(decisions >= 6);  // every test prompt with a cached prefix
    QVERIFY(last["cost_model_right_rate"].isDouble());
    const int declined = last["cost_model_declined"].toInt();
    QCOMPARE(last["cache_hits"].toInt(), decisions - declined);
    if (decisions > declined) QCOMPARE(last["exact_match_rate"].toDouble(), 1.0);
    QVERIFY(QFileInfo::exists(path("cost-kv/cost_model.json")));
    QVERIFY(!QFileInfo::exists(path("cost-kv/cost_calibration")));

    const QString out = path("cost.json");
    QCOMPARE(cli({"export", "--db", db, "--run", QString::number(last["run_id"].toInteger()),
                  "--format", "json", "--out", out})
                 .exitCode,
             0);
    const QJsonArray results = QJsonDocument::fromJson(kvr::test::readBytes(out.toStdString()))
                                   .object()["results"]
                                   .toArray();
    for (const auto& value : results) {
      const QJsonObject p = value.toObject();
      const QString decision = p["cost_decision"].toString();
      if (decision.isEmpty()) continue;
      QVERIFY(p["predicted_baseline_ttft_s"].toDouble() > 0);
      QVERIFY(p["predicted_recycled_ttft_s"].toDouble() > 0);
      if (decision == "decline") {
        QCOMPARE(p["reused_tokens"].toInt(), 0);
        QVERIFY(p["declined_recycled_ttft_s"].toDouble() > 0);
      } else {
        QCOMPARE(decision, QString("recycle"));
        QCOMPARE(p["reused_tokens"].toInt(), p["cost_planned_reuse"].toInt());
        QVERIFY(p["declined_recycled_ttft_s"].isNull());
      }
    }
    // The stored model is reused: no second calibration.
    const Run again = cli(args);
    QCOMPARE(again.exitCode, 0);
    QVERIFY2(!again.err.contains("calibrating"), again.err.constData());
  }

  // evict: one JSON line per method x budget, stored as an eviction run and exported.
  void evictStoresAnEvictionRun() {
    const QString prompts = path("evict.csv");
    kvr::test::writeBytes(prompts.toStdString(),
                          "id,prompt,reference\n"
                          "a,the quick brown fox jumps over the lazy dog and runs far away,\n"
                          "b,one two three four five six seven eight nine ten eleven, twelve\n");
    const QString db = path("evict.db");
    const Run r = cli({"evict", "--model", tiny(), "--prompts", prompts, "--db", db, "--methods",
                       "full,window,chunked", "--budgets", "6,8", "--chunk", "4",
                       "--max-new-tokens", "5", "--quiet"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.contains("not quality"), r.err.constData());  // synthetic weights said so
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 5);  // full once, window and chunked at two budgets
    QStringList seen;
    for (const QByteArray& line : lines) {
      const QJsonObject j = QJsonDocument::fromJson(line).object();
      for (const char* key :
           {"method", "budget", "footprint_ratio", "peak_entries", "token_agreement",
            "first_divergence_median", "max_logit_diff", "nll_delta", "run_id"}) {
        QVERIFY2(j.contains(key), key);
      }
      QCOMPARE(j["prompts"].toInt(), 2);
      const QString method = j["method"].toString();
      seen << method + "@" + QString::number(j["budget"].toInt());
      if (method == "full") {
        QCOMPARE(j["footprint_ratio"].toDouble(), 1.0);
        QCOMPARE(j["max_logit_diff"].toDouble(), 0.0);
      } else {
        QVERIFY(j["footprint_ratio"].toDouble() < 1.0);
      }
    }
    QCOMPARE(seen, (QStringList{"full@0", "window@6", "window@8", "chunked@6", "chunked@8"}));

    const QJsonArray runs =
        QJsonDocument::fromJson(cli({"runs", "--db", db, "--json"}).out).array();
    QCOMPARE(runs.size(), 1);
    QCOMPARE(runs[0].toObject()["kind"].toString(), QString("eviction"));
    QCOMPARE(runs[0].toObject()["summary"].toObject()["methods"].toArray().size(), 5);

    const QString out = path("evict.json");
    QCOMPARE(cli({"export", "--db", db, "--run", "1", "--format", "json", "--out", out}).exitCode,
             0);
    const QJsonObject exported =
        QJsonDocument::fromJson(kvr::test::readBytes(out.toStdString())).object();
    QCOMPARE(exported["results"].toArray().size(), 10);  // 2 prompts x 5 settings
    QCOMPARE(exported["config"].toObject()["chunk"].toInt(), 4);
  }

  // evict --cache-prompts: prefixes stored after each method's eviction and
  // reused; without eviction that is plain recycling, so every prompt is exact.
  void evictRecyclesEvictedPrefixes() {
    const QString cache = path("evict-cache.csv"), prompts = path("evict-test.csv");
    kvr::test::writeBytes(cache.toStdString(),
                          "id,prompt\n"
                          "c1,the quick brown fox jumps over the lazy dog and runs far away\n");
    kvr::test::writeBytes(prompts.toStdString(),
                          "id,prompt\n"
                          "t1,the quick brown fox jumps over the lazy dog and runs far away "
                          "from home\n"
                          "t2,one two three four five six seven eight nine ten eleven\n");
    const QString db = path("evict-recycle.db");
    const Run r =
        cli({"evict", "--model", tiny(), "--prompts", prompts, "--cache-prompts", cache, "--db", db,
             "--methods", "full,window", "--budgets", "6", "--max-new-tokens", "4", "--quiet"});
    QCOMPARE(r.exitCode, 0);
    QList<QJsonObject> recycled;
    for (const QByteArray& line : r.out.trimmed().split('\n')) {
      const QJsonObject j = QJsonDocument::fromJson(line).object();
      if (j["recycled"].toBool()) recycled << j;
    }
    QCOMPARE(recycled.size(), 2);  // full, window@6
    for (const QJsonObject& j : recycled) {
      QCOMPARE(j["prompts"].toInt(), 1);  // t2 shares no token with the cache prompt
      QVERIFY(j["loaded_full_bytes"].toInteger() > 0);
    }
    QCOMPARE(recycled[0]["method"].toString(), QString("full"));
    QCOMPARE(recycled[0]["exact_prompts"].toInt(), 1);
    QCOMPARE(recycled[1]["method"].toString(), QString("window"));
    QVERIFY(recycled[1]["loaded_bytes"].toInteger() < recycled[1]["loaded_full_bytes"].toInteger());
    QVERIFY(recycled[1]["stored_bytes"].toInteger() < recycled[0]["stored_bytes"].toInteger());
    QVERIFY(QFileInfo(db + "-evicted/window-6").isDir());
    const QJsonArray runs =
        QJsonDocument::fromJson(cli({"runs", "--db", db, "--json"}).out).array();
    QCOMPARE(runs[0].toObject()["summary"].toObject()["recycled"].toArray().size(), 2);
  }

  void evictRefusesBadSettings() {
    const QString prompts =
        QString::fromStdString(kvr::test::sampleFile("study_test.csv").string());
    const QStringList base{"evict", "--model",           tiny(), "--prompts", prompts,
                           "--db",  path("bad-evict.db")};
    expectErrorLine(cli(base + QStringList{"--methods", "full,lru"}), 2, "unknown method 'lru'");
    expectErrorLine(cli(base + QStringList{"--budgets", "64,0"}), 2, "'0'");
    expectErrorLine(cli(base + QStringList{"--methods", "window", "--budgets", "4"}), 2,
                    "sinks (4)");
    QVERIFY(!QFile::exists(path("bad-evict.db")));  // refused before anything was written
  }

  void runRejectsBadCsvWithPosition() {
    kvr::test::writeBytes(path("bad.csv").toStdString(), "id,prompt\n1,\"unterminated\n");
    const Run r = cli({"run", "--model", tiny(), "--cache-prompts", path("bad.csv"),
                       "--test-prompts", path("bad.csv"), "--db", path("bad.db")});
    expectErrorLine(r, 1, path("bad.csv") + ":2:");
    QVERIFY(!QFileInfo::exists(path("bad.db")));
  }

  // bench-store at a small N: the output's shape, never its timings.
  void benchStoreReportsOpenLookupAndMemory() {
    const QString dir = path("bench-store");
    const QStringList args{"bench-store", "--model",   tiny(), "--entries", "200", "--dir",
                           dir,           "--queries", "100",  "--opens",   "1"};
    const Run r = cli(args);
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    const QJsonObject j = QJsonDocument::fromJson(lines[0]).object();
    for (const char* key :
         {"open_s", "open_catalogue_s", "open_ledger_s", "open_index_s", "open_trie_s",
          "lookup_p50_s", "lookup_p99_s", "lookup_max_s", "rss_before_open_bytes",
          "rss_after_open_bytes", "store_bytes", "create_s", "threads", "cpu_model",
          "torch_version", "kvrecycle_version"}) {
      QVERIFY2(j.contains(key), key);
    }
    QCOMPARE(j["entries"].toInt(), 200);
    QCOMPARE(j["written"].toInt(), 200);
    QCOMPARE(j["queries"].toInt(), 100);
    QVERIFY(j["hits"].toInt() > 0 && j["hits"].toInt() <= 100);
    QVERIFY(j["lookup_p50_s"].toDouble() <= j["lookup_p99_s"].toDouble());
    QCOMPARE(j["lookup_p99_rounds_s"].toArray().size(), 3);  // the median round is reported
    QVERIFY(j["store_bytes"].toDouble() > 0);
    // Below the graph's threshold the index is exact, so its recall is whole.
    QCOMPARE(j["index"].toString(), QString("flat inner product"));
    QCOMPARE(j["recall_queries"].toInt() + j["unrelated_recall_queries"].toInt(), 100);
    QVERIFY(j["recall_queries"].toInt() > 50);  // 4 in 5 continue a stored entry
    QCOMPARE(j["recall_at_1"].toDouble(), 1.0);
    QCOMPARE(j["unrelated_recall_at_1"].toDouble(), 1.0);
    QCOMPARE(QDir(dir).entryList({"*.safetensors"}).size(), 200);
    // A second call reuses the entries.
    const Run again = cli(args);
    QCOMPARE(again.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(again.out.trimmed()).object()["written"].toInt(), 0);
  }

  void benchReportsOneLinePerPrefix() {
    const Run r = cli({"bench", "--model", tiny(), "--prefix-tokens", "0,16", "--suffix-tokens",
                       "8", "--new-tokens", "3", "--repeats", "2"});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    for (int i = 0; i < 2; ++i) {
      const QJsonObject j = QJsonDocument::fromJson(lines[i]).object();
      QCOMPARE(j["prefix_tokens"].toInt(), i * 16);
      for (const char* key :
           {"baseline_ttft_s", "baseline_ttft_iqr_s", "recycled_ttft_s", "recycled_ttft_iqr_s",
            "kv_load_s", "kv_copy_rate_gbs", "memcpy_copy_rate_gbs", "ttft_ratio", "ideal_ratio",
            "exact_match", "noisy", "noise_reason", "threads", "torch_version"}) {
        QVERIFY2(j.contains(key), key);
      }
      QCOMPARE(j["noisy"].toBool(), !j["noise_reason"].toString().isEmpty());
    }
    // Without a reused prefix both arms run the same prefill: no verdict.
    QVERIFY(QJsonDocument::fromJson(lines[0]).object()["exact_match"].isNull());
    QCOMPARE(QJsonDocument::fromJson(lines[1]).object()["exact_match"].toBool(), true);
    QCOMPARE(QJsonDocument::fromJson(lines[1]).object()["kv_page_cache"].toString(),
             QString("warm"));
  }

  // The documented fault switch: a K/V load that copies nothing is caught by
  // bench and run alike, on a model whose output depends on the whole prompt.
  void skippedKvCopyIsReportedNotExact() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KVRECYCLE_FAULT", "skip-kv-copy");
    QProcess bench;
    bench.setProcessEnvironment(env);
    bench.start(kvr::test::cliPath(),
                {"bench", "--model", QString::fromStdString(kvr::test::tinyChaoticModel().string()),
                 "--prefix-tokens", "16", "--suffix-tokens", "8", "--new-tokens", "4", "--repeats",
                 "1", "--warmup", "0", "--kv-cache", "cold"});
    QVERIFY(bench.waitForFinished(120000));
    QCOMPARE(bench.exitCode(), 0);
    const QJsonObject row = QJsonDocument::fromJson(bench.readAllStandardOutput()).object();
    QCOMPARE(row["exact_match"].toBool(true), false);
    QVERIFY(row["kv_page_cache"].toString().startsWith("cold"));

    QTemporaryDir dir;
    QProcess run;
    run.setProcessEnvironment(env);
    run.start(
        kvr::test::cliPath(),
        {"run", "--model", QString::fromStdString(kvr::test::tinyChaoticModel().string()),
         "--cache-prompts",
         QString::fromStdString(kvr::test::sampleFile("study_cache.csv").string()),
         "--test-prompts", QString::fromStdString(kvr::test::sampleFile("study_test.csv").string()),
         "--db", dir.filePath("fault.db"), "--max-new-tokens", "8", "--repeats", "1", "--warmup",
         "0", "--quiet"});
    QVERIFY(run.waitForFinished(120000));
    QCOMPARE(run.exitCode(), 0);
    const QList<QByteArray> lines = run.readAllStandardOutput().trimmed().split('\n');
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    QCOMPARE(last["reused_prompts"].toInt(), 6);
    QCOMPARE(last["exact_reused"].toInt(), 0);
    QCOMPARE(last["exact_match_rate"].toDouble(), 0.0);
  }

  void makePromptsWritesReadableSets() {
    const Run r =
        cli({"make-prompts", "--kind", "shared-prefix", "--prefix-tokens", "64", "--suffix-tokens",
             "12", "--count", "3", "--cache-out", path("pc.csv"), "--test-out", path("pt.csv")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.json()["test_prompts"].toInt(), 4);
    QVERIFY(kvr::test::readBytes(path("pt.csv").toStdString()).startsWith("id,prompt\n"));
  }

  // models lists the hub cache named by HF_HUB_CACHE and the data directory's own models.
  void modelsListsHubAndOwnModels() {
    const std::filesystem::path hub = path("hf-hub").toStdString();
    const QByteArray tinyConfig = kvr::test::readBytes(kvr::test::tinyModel() / "config.json");
    kvr::test::writeHubModel(hub, "microsoft/DialoGPT-small", "abc123",
                             R"({"model_type": "gpt2"})");
    const std::filesystem::path own = path("kvr-data").toStdString() + "/models/synthetic-tiny";
    std::filesystem::create_directories(own);
    kvr::test::writeBytes(own / "config.json", tinyConfig);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("HF_HUB_CACHE", QString::fromStdString(hub.string()));
    env.insert("KVRECYCLE_DATA_DIR", path("kvr-data"));

    const Run json = cli({"models", "--json"}, env);
    QCOMPARE(json.exitCode, 0);
    QCOMPARE(json.json()["hub_directory"].toString(), QString::fromStdString(hub.string()));
    const QJsonArray models = json.json()["models"].toArray();
    QCOMPARE(models.size(), 2);
    const QJsonObject real = models[0].toObject();
    QCOMPARE(real["name"].toString(), QString("microsoft/DialoGPT-small"));
    QCOMPARE(real["source"].toString(), QString("hub"));
    QVERIFY(!real["synthetic"].toBool());
    QVERIFY(real["path"].toString().endsWith("/models--microsoft--DialoGPT-small"));
    QVERIFY(real["snapshot"].toString().endsWith("/snapshots/abc123"));
    const QJsonObject synthetic = models[1].toObject();
    QCOMPARE(synthetic["name"].toString(), QString("synthetic-tiny"));
    QCOMPARE(synthetic["source"].toString(), QString("data"));
    QVERIFY(synthetic["synthetic"].toBool());

    const Run text = cli({"models"}, env);
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains("microsoft/DialoGPT-small") && text.out.contains("snapshot abc123"),
             text.out.constData());

    env.insert("HF_HUB_CACHE", path("no-hub-here"));
    env.insert("KVRECYCLE_DATA_DIR", path("no-data-here"));
    const Run none = cli({"models"}, env);
    QCOMPARE(none.exitCode, 0);
    QVERIFY2(none.out.contains("no models found"), none.out.constData());
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
