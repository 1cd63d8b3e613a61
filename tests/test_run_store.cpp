// The SQLite run store: every field round-trips, results survive reopening,
// runs of dead processes become 'interrupted', and bad files are refused.
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "kvrecycle/error.h"
#include "kvrecycle/results.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"

namespace {

kvr::RunRecord sampleRun(const std::string& name) {
  kvr::RunRecord run;
  run.name = name;
  run.notes = "notes: Grüße, 日本語, emoji 🚀, quote ' and \"";
  run.tags = {"paper", "dialogpt-small", "ünïcode"};
  run.modelPath = "/models/models--microsoft--DialoGPT-small/snapshots/abc";
  run.modelFingerprint = "fp-0123456789abcdef";
  run.synthetic = true;
  run.configJson = R"({"policy":"lcp","repeats":3,"prompts":["a","b"]})";
  run.machineJson = R"({"cpu":"Test CPU","threads":2})";
  run.plannedPrompts = 7;
  return run;
}

// Every field different from its default and from the others.
kvr::PromptResult sampleResult(int index) {
  kvr::PromptResult r;
  r.index = index;
  r.promptId = "p" + std::to_string(index);
  r.promptText = "Wie geht's? 你好 " + std::to_string(index);
  r.promptTokens = 40 + index;
  r.reusedTokens = 30 + index;
  r.cachedEntryId = "entry-" + std::to_string(index);
  r.cachedPromptId = "c" + std::to_string(index);
  r.cachedPromptText = "cached «text»";
  r.promptSimilarity = 0.1 + index;
  r.kvLoadSeconds = 1.0 / 3.0;
  r.baselineTtftSeconds = 0.123456789012345;
  r.baselineDecodeSeconds = 1e-300;
  r.baselineTotalSeconds = 2.5e10;
  r.baselineTotalIqrSeconds = 0.7;
  r.recycledPrefillSeconds = std::nextafter(0.01, 1.0);
  r.recycledTtftSeconds = 0.011;
  r.recycledDecodeSeconds = 0.9;
  r.recycledTotalSeconds = 0.95;
  r.recycledTotalIqrSeconds = 0.05;
  r.baselineTokensGenerated = 17;
  r.recycledTokensGenerated = 18;
  r.speedupPct = -12.5;
  r.ttftSpeedup = 3.0;  // an integral double
  r.exactMatch = true;
  r.firstDivergence = 5;
  r.maxLogitDiff = 2.384185791015625e-07;
  r.outputSimilarity = 0.99;
  r.fallbackReason = "none at all";
  r.baselineOutputIds = {15496, 995, 50256, index};
  r.recycledOutputIds = {15496, 996};
  r.baselineOutput = "Hello world\n\ttabbed";
  r.recycledOutput = "Hello wörld";
  r.kvLoadIqrSeconds = 0.001;
  r.kvPageCache = "cold";
  r.baselineTtftIqrSeconds = 0.002;
  r.baselineDecodeIqrSeconds = 0.003;
  r.recycledTtftIqrSeconds = 0.004;
  r.recycledDecodeIqrSeconds = 0.005;
  r.idealRecycledTtftSeconds = 0.0101;
  r.speedupIqrPct = 1.5;
  r.measuredRepeats = 5;
  r.remeasuredRepeats = 2;
  r.disturbedRepeats = 1;
  r.maxDecodeAsymmetry = 0.17;
  r.noisy = true;
  r.noiseReason = "decode times of the two arms differed";
  return r;
}

bool sameDouble(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

#define COMPARE_DOUBLE(a, b)     \
  QVERIFY2(sameDouble((a), (b)), \
           qPrintable(QString("%1 != %2").arg(a, 0, 'g', 17).arg(b, 0, 'g', 17)))

void compareResults(const kvr::PromptResult& a, const kvr::PromptResult& b) {
  QCOMPARE(a.index, b.index);
  QCOMPARE(a.promptId, b.promptId);
  QCOMPARE(a.promptText, b.promptText);
  QCOMPARE(a.promptTokens, b.promptTokens);
  QCOMPARE(a.reusedTokens, b.reusedTokens);
  QCOMPARE(a.cachedEntryId, b.cachedEntryId);
  QCOMPARE(a.cachedPromptId, b.cachedPromptId);
  QCOMPARE(a.cachedPromptText, b.cachedPromptText);
  COMPARE_DOUBLE(a.promptSimilarity, b.promptSimilarity);
  COMPARE_DOUBLE(a.kvLoadSeconds, b.kvLoadSeconds);
  COMPARE_DOUBLE(a.baselineTtftSeconds, b.baselineTtftSeconds);
  COMPARE_DOUBLE(a.baselineDecodeSeconds, b.baselineDecodeSeconds);
  COMPARE_DOUBLE(a.baselineTotalSeconds, b.baselineTotalSeconds);
  COMPARE_DOUBLE(a.baselineTotalIqrSeconds, b.baselineTotalIqrSeconds);
  COMPARE_DOUBLE(a.recycledPrefillSeconds, b.recycledPrefillSeconds);
  COMPARE_DOUBLE(a.recycledTtftSeconds, b.recycledTtftSeconds);
  COMPARE_DOUBLE(a.recycledDecodeSeconds, b.recycledDecodeSeconds);
  COMPARE_DOUBLE(a.recycledTotalSeconds, b.recycledTotalSeconds);
  COMPARE_DOUBLE(a.recycledTotalIqrSeconds, b.recycledTotalIqrSeconds);
  QCOMPARE(a.baselineTokensGenerated, b.baselineTokensGenerated);
  QCOMPARE(a.recycledTokensGenerated, b.recycledTokensGenerated);
  COMPARE_DOUBLE(a.speedupPct, b.speedupPct);
  COMPARE_DOUBLE(a.ttftSpeedup, b.ttftSpeedup);
  QCOMPARE(a.exactMatch, b.exactMatch);
  QCOMPARE(a.firstDivergence, b.firstDivergence);
  COMPARE_DOUBLE(a.maxLogitDiff, b.maxLogitDiff);
  COMPARE_DOUBLE(a.outputSimilarity, b.outputSimilarity);
  QCOMPARE(a.fallbackReason, b.fallbackReason);
  QCOMPARE(a.baselineOutputIds, b.baselineOutputIds);
  QCOMPARE(a.recycledOutputIds, b.recycledOutputIds);
  QCOMPARE(a.baselineOutput, b.baselineOutput);
  QCOMPARE(a.recycledOutput, b.recycledOutput);
  COMPARE_DOUBLE(a.kvLoadIqrSeconds, b.kvLoadIqrSeconds);
  QCOMPARE(a.kvPageCache, b.kvPageCache);
  COMPARE_DOUBLE(a.baselineTtftIqrSeconds, b.baselineTtftIqrSeconds);
  COMPARE_DOUBLE(a.baselineDecodeIqrSeconds, b.baselineDecodeIqrSeconds);
  COMPARE_DOUBLE(a.recycledTtftIqrSeconds, b.recycledTtftIqrSeconds);
  COMPARE_DOUBLE(a.recycledDecodeIqrSeconds, b.recycledDecodeIqrSeconds);
  COMPARE_DOUBLE(a.idealRecycledTtftSeconds, b.idealRecycledTtftSeconds);
  COMPARE_DOUBLE(a.speedupIqrPct, b.speedupIqrPct);
  QCOMPARE(a.measuredRepeats, b.measuredRepeats);
  QCOMPARE(a.remeasuredRepeats, b.remeasuredRepeats);
  QCOMPARE(a.disturbedRepeats, b.disturbedRepeats);
  COMPARE_DOUBLE(a.maxDecodeAsymmetry, b.maxDecodeAsymmetry);
  QCOMPARE(a.noisy, b.noisy);
  QCOMPARE(a.noiseReason, b.noiseReason);
}

void compareEntries(const kvr::CacheEntryRecord& a, const kvr::CacheEntryRecord& b) {
  QCOMPARE(a.entryId, b.entryId);
  QCOMPARE(a.modelFingerprint, b.modelFingerprint);
  QCOMPARE(a.path, b.path);
  QCOMPARE(a.tokenIds, b.tokenIds);
  QCOMPARE(a.text, b.text);
  QCOMPARE(a.bytes, b.bytes);
  QCOMPARE(a.checksum, b.checksum);
  QCOMPARE(a.createdAt, b.createdAt);
}

bool looksLikeTimestamp(const std::string& s) {
  return QRegularExpression(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)")
      .match(QString::fromStdString(s))
      .hasMatch();
}

// Runs `body` in a child process that ends with _exit (no destructors, like a
// crash); returns the child's exit status.
template <typename F>
int inChild(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 0;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      code = 100;
    }
    ::_exit(code);
  }
  if (pid < 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

void setUserVersion(const std::filesystem::path& path, int version) {
  sqlite3* db = nullptr;
  QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string sql = "PRAGMA user_version = " + std::to_string(version);
  QCOMPARE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

// The status column as stored, bypassing the store.
std::string storedStatus(const std::filesystem::path& path, int64_t id) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT status FROM runs WHERE id = ?1", -1, &statement, nullptr);
  sqlite3_bind_int64(statement, 1, id);
  std::string status;
  if (sqlite3_step(statement) == SQLITE_ROW) {
    status = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return status;
}

}  // namespace

kvr::EvictionResultRow sampleEvictionRow(int index, kvr::EvictionMethod method, int budget) {
  kvr::EvictionResultRow r;
  r.promptIndex = index;
  r.promptId = "p" + std::to_string(index);
  r.method = method;
  r.budget = budget;
  r.promptTokens = 40;
  r.newTokens = 8;
  r.fidelity.footprint = 1234;
  r.fidelity.footprintRatio = 0.625;
  r.fidelity.peakEntries = 160;
  r.fidelity.peakBytes = 160 * 2 * 16 * 4;
  r.fidelity.tokenAgreement = 0.875;
  r.fidelity.meanLogitDiff = 0.01;
  r.fidelity.maxLogitDiff = 0.25;
  r.fidelity.nll = 9.5;
  r.fidelity.nllDelta = 0.125;
  return r;
}

class TestRunStore : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  int counter_ = 0;
  // A fresh database path for each test.
  std::filesystem::path freshPath() {
    return dir_.filePath(QString("runs-%1.sqlite").arg(++counter_)).toStdString();
  }

  template <typename F>
  void expectError(F action, const std::filesystem::path& path, const QStringList& parts) {
    try {
      action();
      QFAIL("no error was thrown");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(path.string())), e.what());
      for (const QString& part : parts) QVERIFY2(QString(e.what()).contains(part), e.what());
    }
  }

 private slots:
  void statusNames() {
    for (auto s : {kvr::RunStatus::Running, kvr::RunStatus::Completed, kvr::RunStatus::Cancelled,
                   kvr::RunStatus::Failed, kvr::RunStatus::Interrupted}) {
      QCOMPARE(kvr::parseRunStatus(kvr::runStatusName(s)), s);
    }
    QCOMPARE(std::string(kvr::runStatusName(kvr::RunStatus::Interrupted)),
             std::string("interrupted"));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseRunStatus("done"));
  }

  void createListFind() {
    const auto p = freshPath();
    kvr::RunStore store(p);
    QCOMPARE(store.path(), p);
    QVERIFY(store.listRuns().empty());
    const kvr::RunRecord in = sampleRun("first run — ünïcode");
    const int64_t a = store.createRun(in);
    const int64_t b = store.createRun(sampleRun("second"));
    QVERIFY(b > a);

    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), size_t{2});
    QCOMPARE(runs[0].id, b);  // newest first
    QCOMPARE(runs[1].id, a);

    const auto found = store.findRun(a);
    QVERIFY(found.has_value());
    QCOMPARE(found->id, a);
    QCOMPARE(found->name, in.name);
    QCOMPARE(found->notes, in.notes);
    QCOMPARE(found->tags, in.tags);
    QVERIFY2(looksLikeTimestamp(found->createdAt), found->createdAt.c_str());
    QCOMPARE(found->finishedAt, std::string());
    QCOMPARE(found->status, kvr::RunStatus::Running);
    QCOMPARE(found->modelPath, in.modelPath);
    QCOMPARE(found->modelFingerprint, in.modelFingerprint);
    QCOMPARE(found->synthetic, true);
    QCOMPARE(found->configJson, in.configJson);
    QCOMPARE(found->machineJson, in.machineJson);
    // Not finished: the summary is computed from what is stored so far.
    QCOMPARE(kvr::summaryFromJson(found->summaryJson).prompts, 0);
    QCOMPARE(kvr::summaryFromJson(found->summaryJson).plannedPrompts, 7);
    QCOMPARE(found->plannedPrompts, 7);
    QCOMPARE(found->error, std::string());
    QCOMPARE(runs[1].name, in.name);

    QVERIFY(!store.findRun(9999).has_value());
    QVERIFY(store.promptResults(9999).empty());

    kvr::RunRecord notSynthetic = sampleRun("real");
    notSynthetic.synthetic = false;
    notSynthetic.tags.clear();
    const auto real = store.findRun(store.createRun(notSynthetic));
    QCOMPARE(real->synthetic, false);
    QVERIFY(real->tags.empty());
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void rejectsInvalidJson() {
    const auto p = freshPath();
    kvr::RunStore store(p);
    kvr::RunRecord run = sampleRun("bad");
    run.configJson = "{not json";
    expectError([&] { store.createRun(run); }, p, {"configuration", "not JSON"});
    const int64_t id = store.createRun(sampleRun("good"));
    expectError([&] { store.finishRun(id, kvr::RunStatus::Completed, "[1,"); }, p,
                {"summary", "not JSON"});
    expectError([&] { store.finishRun(id, kvr::RunStatus::Running, "{}"); }, p, {"final status"});
    expectError([&] { store.setTags(id, {std::string("bad \xff utf-8")}); }, p, {"UTF-8"});
  }

  void promptResultsRoundTrip() {
    const auto p = freshPath();
    int64_t id = 0;
    std::vector<kvr::PromptResult> expected;
    {
      kvr::RunStore store(p);
      id = store.createRun(sampleRun("results"));
      // Stored out of order: read back ordered by index.
      for (int i : {2, 0, 1}) store.addPromptResult(id, sampleResult(i));
      kvr::PromptResult special = sampleResult(3);
      special.exactMatch = false;
      special.firstDivergence = -1;
      special.speedupPct = std::numeric_limits<double>::quiet_NaN();
      special.ttftSpeedup = std::numeric_limits<double>::infinity();
      special.outputSimilarity = -std::numeric_limits<double>::infinity();
      special.kvLoadSeconds = std::numeric_limits<double>::denorm_min();
      special.baselineTotalSeconds = std::numeric_limits<double>::max();
      special.baselineOutputIds.clear();
      special.cachedEntryId.clear();
      special.fallbackReason.clear();
      special.promptText = std::string("embedded\0nul", 12);
      store.addPromptResult(id, special);
      for (int i = 0; i < 3; ++i) expected.push_back(sampleResult(i));
      expected.push_back(special);

      const auto got = store.promptResults(id);
      QCOMPARE(got.size(), expected.size());
      for (size_t i = 0; i < got.size(); ++i) compareResults(got[i], expected[i]);

      expectError([&] { store.addPromptResult(id, sampleResult(1)); }, p,
                  {"prompt 1", "already stored"});
      expectError([&] { store.addPromptResult(4242, sampleResult(0)); }, p,
                  {"run 4242 does not exist"});
    }
    // Everything survives closing and reopening (read-write and read-only).
    for (bool readOnly : {false, true}) {
      kvr::RunStore store(p, readOnly);
      const auto got = store.promptResults(id);
      QCOMPARE(got.size(), expected.size());
      for (size_t i = 0; i < got.size(); ++i) compareResults(got[i], expected[i]);
      QCOMPARE(store.findRun(id)->name, std::string("results"));
    }
  }

  void finishStatuses() {
    const auto p = freshPath();
    const std::string summary = R"({"prompts":3,"cacheHits":2})";
    std::vector<std::pair<int64_t, kvr::RunStatus>> ids;
    {
      kvr::RunStore store(p);
      for (auto status : {kvr::RunStatus::Completed, kvr::RunStatus::Cancelled,
                          kvr::RunStatus::Failed, kvr::RunStatus::Interrupted}) {
        const int64_t id = store.createRun(sampleRun(kvr::runStatusName(status)));
        const std::string error = status == kvr::RunStatus::Failed ? "out of memory: ✗" : "";
        store.finishRun(id, status, summary, error);
        ids.emplace_back(id, status);
      }
      expectError([&] { store.finishRun(777, kvr::RunStatus::Completed, summary); }, p,
                  {"run 777 does not exist"});
    }
    kvr::RunStore store(p);
    for (const auto& [id, status] : ids) {
      const auto run = store.findRun(id);
      QCOMPARE(run->status, status);
      QVERIFY2(looksLikeTimestamp(run->finishedAt), run->finishedAt.c_str());
      QVERIFY(run->finishedAt >= run->createdAt);
      QCOMPARE(run->summaryJson, summary);
      QCOMPARE(run->error, std::string(status == kvr::RunStatus::Failed ? "out of memory: ✗" : ""));
    }
  }

  void editAndDelete() {
    const auto p = freshPath();
    kvr::RunStore store(p);
    const int64_t a = store.createRun(sampleRun("a"));
    const int64_t b = store.createRun(sampleRun("b"));
    for (int i = 0; i < 3; ++i) {
      store.addPromptResult(a, sampleResult(i));
      store.addPromptResult(b, sampleResult(i));
    }
    store.renameRun(a, "renamed «a»");
    store.setNotes(a, "line 1\nline 2 ✓");
    store.setTags(a, {"x", "y z", "ü"});
    auto run = store.findRun(a);
    QCOMPARE(run->name, std::string("renamed «a»"));
    QCOMPARE(run->notes, std::string("line 1\nline 2 ✓"));
    QCOMPARE(run->tags, (std::vector<std::string>{"x", "y z", "ü"}));
    store.setTags(a, {});
    QVERIFY(store.findRun(a)->tags.empty());
    QCOMPARE(store.findRun(b)->name, std::string("b"));  // the other run is untouched

    store.deleteRun(a);
    QVERIFY(!store.findRun(a).has_value());
    QVERIFY(store.promptResults(a).empty());  // cascaded
    QCOMPARE(store.promptResults(b).size(), size_t{3});
    QCOMPARE(store.listRuns().size(), size_t{1});

    expectError([&] { store.renameRun(a, "x"); }, p, {QString("run %1 does not exist").arg(a)});
    expectError([&] { store.setNotes(a, "x"); }, p, {"does not exist"});
    expectError([&] { store.setTags(a, {"x"}); }, p, {"does not exist"});
    expectError([&] { store.deleteRun(a); }, p, {"does not exist"});

    // A deleted run's id is never handed out again.
    QVERIFY(store.createRun(sampleRun("c")) > b);
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void deadProcessRunIsInterrupted() {
    const auto p = freshPath();
    {
      kvr::RunStore store(p);  // our own running run must stay running
      store.createRun(sampleRun("ours"));
    }
    const int code = inChild([&] {
      kvr::RunStore store(p);
      const int64_t id = store.createRun(sampleRun("crashed"));
      store.addPromptResult(id, sampleResult(0));
      return 0;  // _exit without finishing the run or closing the store
    });
    QCOMPARE(code, 0);

    // A read-only look shows the dead run as interrupted, with a summary of
    // what it stored, and writes nothing.
    {
      const kvr::RunStore viewer(p, true);
      const auto seen = viewer.listRuns();
      QCOMPARE(seen[0].status, kvr::RunStatus::Interrupted);
      QVERIFY(QString::fromStdString(seen[0].error).contains("ended before the run finished"));
      QCOMPARE(kvr::summaryFromJson(seen[0].summaryJson).prompts, 1);
      QCOMPARE(kvr::summaryFromJson(seen[0].summaryJson).plannedPrompts, 7);
      QCOMPARE(seen[1].status, kvr::RunStatus::Running);
      QCOMPARE(viewer.findRun(seen[0].id)->status, kvr::RunStatus::Interrupted);
      QCOMPARE(storedStatus(p, seen[0].id), std::string("running"));
    }
    kvr::RunStore store(p);
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), size_t{2});
    QCOMPARE(runs[0].name, std::string("crashed"));
    QCOMPARE(runs[0].status, kvr::RunStatus::Interrupted);
    QVERIFY2(looksLikeTimestamp(runs[0].finishedAt), runs[0].finishedAt.c_str());
    QVERIFY2(QString::fromStdString(runs[0].error).contains("ended before the run finished"),
             runs[0].error.c_str());
    const auto results = store.promptResults(runs[0].id);
    QCOMPARE(results.size(), size_t{1});
    compareResults(results[0], sampleResult(0));
    QCOMPARE(runs[1].status, kvr::RunStatus::Running);  // this process is alive
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void refusesNewerSchema() {
    const auto p = freshPath();
    { kvr::RunStore store(p); }
    setUserVersion(p, 99);
    for (bool readOnly : {false, true}) {
      expectError([&] { kvr::RunStore store(p, readOnly); }, p,
                  {"database schema version 99 is newer than this kvrecycle supports (5)"});
    }
  }

  // A database written by kvrecycle 0.1 (schema 1): readable as it is, and
  // migrated by the first read-write open, results intact.
  void migratesSchemaOne() {
    const auto p = freshPath();
    std::filesystem::copy_file(kvr::test::dataFile("run_store_v1.sqlite"), p);
    {
      const kvr::RunStore viewer(p, true);
      const auto runs = viewer.listRuns();
      QCOMPARE(runs.size(), size_t{1});
      QCOMPARE(runs[0].name, std::string("schema one"));
      QCOMPARE(runs[0].status, kvr::RunStatus::Completed);
      const auto results = viewer.promptResults(runs[0].id);
      QCOMPARE(results.size(), size_t{2});
      QVERIFY(!results[0].noisy);
      QCOMPARE(results[0].measuredRepeats, 0);
      QCOMPARE(runs[0].kind, kvr::RunKind::Recycling);
      QVERIFY(viewer.evictionResults(runs[0].id).empty());  // no such table before version 4
    }
    kvr::RunStore store(p);
    const auto results = store.promptResults(1);
    QCOMPARE(results.size(), size_t{2});
    QCOMPARE(results[0].reusedTokens > 0, true);
    QVERIFY(results[0].baselineTotalSeconds > 0);
    // New columns are writable after the migration.
    const int64_t id = store.createRun(sampleRun("after migration"));
    store.addPromptResult(id, sampleResult(0));
    compareResults(store.promptResults(id)[0], sampleResult(0));
    // So are eviction runs (version 4).
    kvr::RunRecord eviction = sampleRun("eviction after migration");
    eviction.kind = kvr::RunKind::Eviction;
    const int64_t evictionId = store.createRun(eviction);
    store.addEvictionResult(evictionId, sampleEvictionRow(0, kvr::EvictionMethod::Heavy, 64));
    QCOMPARE(store.evictionResults(evictionId).size(), size_t{1});
    // Schema 4's conversation and store columns too.
    kvr::PromptResult turn = sampleResult(1);
    turn.session = "s2";
    turn.turn = 3;
    turn.historyDroppedTurns = 1;
    turn.storeAdmission = "admitted";
    turn.residentBytes = 123456789012;
    turn.storeSamples = {{0.5, 1000, 1000, "admit"}, {0.75, 600, 1000, "evict"}};
    store.addPromptResult(id, turn);
    const kvr::PromptResult back = store.promptResults(id)[1];
    QCOMPARE(back.session, std::string("s2"));
    QCOMPARE(back.turn, 3);
    QCOMPARE(back.historyDroppedTurns, 1);
    QCOMPARE(back.storeAdmission, std::string("admitted"));
    QCOMPARE(back.residentBytes, int64_t{123456789012});
    QCOMPARE(back.storeSamples.size(), size_t{2});
    QCOMPARE(back.storeSamples[1].residentBytes, int64_t{600});
    QCOMPARE(back.storeSamples[1].event, std::string("evict"));
    QCOMPARE(store.promptResults(1)[0].session, std::string());  // the default of a migrated row
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  // A schema-4 file (before the cost model's columns): read as it is with the
  // columns' defaults, then migrated by the first read-write open.
  void migratesSchemaFour() {
    const auto p = freshPath();
    {
      kvr::RunStore store(p);
      const int64_t id = store.createRun(sampleRun("schema four"));
      store.addPromptResult(id, sampleResult(0));
    }
    {
      sqlite3* db = nullptr;
      QCOMPARE(sqlite3_open(p.c_str(), &db), SQLITE_OK);
      for (const char* column :
           {"cost_decision", "cost_planned_reuse", "predicted_baseline_ttft_s",
            "predicted_recycled_ttft_s", "declined_recycled_ttft_s", "cost_model_right"}) {
        const std::string sql = std::string("ALTER TABLE prompt_results DROP COLUMN ") + column;
        QCOMPARE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
      }
      sqlite3_close(db);
    }
    setUserVersion(p, 4);
    {
      const kvr::RunStore viewer(p, true);
      const kvr::PromptResult old = viewer.promptResults(1)[0];
      QVERIFY(old.costDecision.empty());
      QVERIFY(std::isnan(old.predictedBaselineTtftSeconds));
      QCOMPARE(old.reusedTokens, sampleResult(0).reusedTokens);
    }
    kvr::RunStore store(p);
    kvr::PromptResult decided = sampleResult(1);
    decided.costDecision = "decline";
    decided.costPlannedReuse = 7;
    decided.predictedBaselineTtftSeconds = 0.04;
    decided.predictedRecycledTtftSeconds = 0.06;
    decided.declinedRecycledTtftSeconds = 0.05;
    decided.costModelRight = true;
    store.addPromptResult(1, decided);
    const kvr::PromptResult back = store.promptResults(1)[1];
    QCOMPARE(back.costDecision, std::string("decline"));
    QCOMPARE(back.costPlannedReuse, 7);
    QCOMPARE(back.predictedRecycledTtftSeconds, 0.06);
    QCOMPARE(back.declinedRecycledTtftSeconds, 0.05);
    QVERIFY(back.costModelRight);
    QVERIFY(store.promptResults(1)[0].costDecision.empty());
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void evictionRowsRoundTrip() {
    kvr::RunStore store(freshPath());
    kvr::RunRecord run = sampleRun("eviction");
    run.kind = kvr::RunKind::Eviction;
    const int64_t id = store.createRun(run);
    kvr::EvictionResultRow diverged = sampleEvictionRow(1, kvr::EvictionMethod::Window, 32);
    diverged.fidelity.firstDivergence = 3;
    diverged.fidelity.nllDelta = std::numeric_limits<double>::quiet_NaN();
    store.addEvictionResult(id, diverged);
    store.addEvictionResult(id, sampleEvictionRow(0, kvr::EvictionMethod::Full, 0));
    expectError([&] { store.addEvictionResult(id, diverged); }, store.path(), {"already stored"});
    expectError([&] { store.addEvictionResult(id + 7, diverged); }, store.path(),
                {"does not exist"});

    const auto rows = store.evictionResults(id);
    QCOMPARE(rows.size(), size_t{2});
    QCOMPARE(rows[0].promptIndex, 0);  // ordered by prompt
    QCOMPARE(rows[0].method, kvr::EvictionMethod::Full);
    QCOMPARE(rows[0].fidelity.firstDivergence, -1);  // none: stored as NULL
    const kvr::EvictionResultRow& back = rows[1];
    QCOMPARE(back.promptId, diverged.promptId);
    QCOMPARE(back.method, kvr::EvictionMethod::Window);
    QCOMPARE(back.budget, 32);
    QCOMPARE(back.fidelity.footprint, diverged.fidelity.footprint);
    QCOMPARE(back.fidelity.footprintRatio, diverged.fidelity.footprintRatio);
    QCOMPARE(back.fidelity.peakBytes, diverged.fidelity.peakBytes);
    QCOMPARE(back.fidelity.firstDivergence, 3);
    QCOMPARE(back.fidelity.maxLogitDiff, diverged.fidelity.maxLogitDiff);
    QVERIFY(std::isnan(back.fidelity.nllDelta));
    QCOMPARE(store.findRun(id)->kind, kvr::RunKind::Eviction);
    // A run that never finished is summarised from its stored rows, per method and budget.
    const nlohmann::json summary = nlohmann::json::parse(store.findRun(id)->summaryJson);
    QCOMPARE(summary["kind"].get<std::string>(), std::string("eviction"));
    QCOMPARE(summary["methods"].size(), size_t{2});
  }

  void refusesGarbage() {
    const auto p = freshPath();
    QByteArray garbage;
    for (int i = 0; i < 300; ++i) garbage += "this is not a database. ";
    kvr::test::writeBytes(p, garbage);
    for (bool readOnly : {false, true}) {
      expectError([&] { kvr::RunStore store(p, readOnly); }, p, {"not a kvrecycle database"});
    }
    QCOMPARE(kvr::test::readBytes(p), garbage);  // left untouched
  }

  void refusesForeignDatabase() {
    const auto p = freshPath();
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(p.c_str(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, "CREATE TABLE runs (x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    expectError([&] { kvr::RunStore store(p); }, p, {"not a kvrecycle database"});
  }

  void emptyFileBecomesStore() {
    const auto p = freshPath();
    kvr::test::writeBytes(p, QByteArray());
    expectError([&] { kvr::RunStore store(p, true); }, p, {"not a kvrecycle database"});
    kvr::RunStore store(p);
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void readOnlyRefusesWrites() {
    const auto p = freshPath();
    expectError([&] { kvr::RunStore store(p, true); }, p, {"no such database"});
    QVERIFY(!std::filesystem::exists(p));
    int64_t id = 0;
    {
      kvr::RunStore store(p);
      id = store.createRun(sampleRun("existing"));
    }
    kvr::RunStore store(p, true);
    QCOMPARE(store.listRuns().size(), size_t{1});
    expectError([&] { store.createRun(sampleRun("new")); }, p, {"readonly"});
    expectError([&] { store.addPromptResult(id, sampleResult(0)); }, p, {"readonly"});
    expectError([&] { store.renameRun(id, "x"); }, p, {"readonly"});
    expectError([&] { store.upsertCacheEntry({}); }, p, {"readonly"});
    QCOMPARE(store.findRun(id)->name, std::string("existing"));
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void createsMissingFolder() {
    const std::filesystem::path p = dir_.filePath("nested/deeper/runs.sqlite").toStdString();
    kvr::RunStore store(p);
    QVERIFY(std::filesystem::exists(p));
  }

  void cacheEntries() {
    const auto p = freshPath();
    kvr::RunStore store(p);
    kvr::CacheEntryRecord e1{
        "e1",  "fpA",       "/kv/e1.kvr",          {15496, 995}, "Hello world ✓",
        73728, "xxh3:0123", "2026-01-01T00:00:00Z"};
    kvr::CacheEntryRecord e2{"e2",     "fpA",     "/kv/e2.kvr", {1, 2, 3},
                             "second", 1LL << 40, "xxh3:4567",  "2026-01-02T00:00:00Z"};
    kvr::CacheEntryRecord e3{"e3", "fpB", "/kv/e3.kvr", {}, "", 0, "", ""};
    store.upsertCacheEntry(e2);
    store.upsertCacheEntry(e1);
    store.upsertCacheEntry(e3);

    compareEntries(*store.findCacheEntry("e1"), e1);
    QVERIFY(!store.findCacheEntry("nope").has_value());
    const auto a = store.cacheEntries("fpA");
    QCOMPARE(a.size(), size_t{2});
    compareEntries(a[0], e1);  // oldest first
    compareEntries(a[1], e2);
    const auto b = store.cacheEntries("fpB");
    QCOMPARE(b.size(), size_t{1});
    QVERIFY2(looksLikeTimestamp(b[0].createdAt), b[0].createdAt.c_str());  // filled in
    QVERIFY(store.cacheEntries("fpC").empty());

    // Upsert replaces every field.
    kvr::CacheEntryRecord e1b{"e1",      "fpB", "/kv/other.kvr", {7},
                              "changed", 12,    "xxh3:89ab",     "2026-02-01T00:00:00Z"};
    store.upsertCacheEntry(e1b);
    compareEntries(*store.findCacheEntry("e1"), e1b);
    QCOMPARE(store.cacheEntries("fpA").size(), size_t{1});
    QCOMPARE(store.cacheEntries("fpB").size(), size_t{2});

    store.removeCacheEntry("e1");
    store.removeCacheEntry("e1");  // no-op the second time
    QVERIFY(!store.findCacheEntry("e1").has_value());
    QCOMPARE(store.cacheEntries("fpB").size(), size_t{1});
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }

  void twoStoresAlternate() {
    const auto p = freshPath();
    kvr::RunStore first(p);
    kvr::RunStore second(p);
    const int64_t a = first.createRun(sampleRun("first"));
    const int64_t b = second.createRun(sampleRun("second"));
    for (int i = 0; i < 20; ++i) {
      first.addPromptResult(a, sampleResult(i));
      second.addPromptResult(b, sampleResult(i));
      QCOMPARE(first.promptResults(b).size(), size_t(i + 1));  // sees the other's commits
    }
    first.finishRun(a, kvr::RunStatus::Completed, "{}");
    second.finishRun(b, kvr::RunStatus::Cancelled, "{}");
    for (const kvr::RunStore* store : {&first, &second}) {
      QCOMPARE(store->listRuns().size(), size_t{2});
      QCOMPARE(store->promptResults(a).size(), size_t{20});
      QCOMPARE(store->promptResults(b).size(), size_t{20});
      QCOMPARE(store->findRun(a)->status, kvr::RunStatus::Completed);
      QCOMPARE(store->findRun(b)->status, kvr::RunStatus::Cancelled);
      QCOMPARE(store->integrityCheck(), std::string("ok"));
    }
  }

  void twoProcessesWriteConcurrently() {
    const auto p = freshPath();
    { kvr::RunStore store(p); }  // closed before fork: the child opens its own connection
    constexpr int kResults = 100;
    const auto writeRun = [&](const std::string& name) {
      kvr::RunStore store(p);
      const int64_t id = store.createRun(sampleRun(name));
      for (int i = 0; i < kResults; ++i) {
        store.addPromptResult(id, sampleResult(i));
        store.setNotes(id, "progress " + std::to_string(i));
      }
      store.finishRun(id, kvr::RunStatus::Completed, "{}");
    };
    const pid_t child = ::fork();
    if (child == 0) {
      int code = 0;
      try {
        writeRun("child");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        code = 1;
      }
      ::_exit(code);
    }
    QVERIFY(child > 0);
    writeRun("parent");
    int status = 0;
    ::waitpid(child, &status, 0);
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 0);

    kvr::RunStore store(p);
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), size_t{2});
    for (const auto& run : runs) {
      QCOMPARE(run.status, kvr::RunStatus::Completed);
      QCOMPARE(run.notes, "progress " + std::to_string(kResults - 1));
      QCOMPARE(store.promptResults(run.id).size(), size_t{kResults});
    }
    QCOMPARE(store.integrityCheck(), std::string("ok"));
  }
};

QTEST_GUILESS_MAIN(TestRunStore)
#include "test_run_store.moc"
