// The experiment end to end on the tiny models: exactness under both policies,
// partial and whole-prompt reuse, corrupt-file fallback, storage and cancellation.
#include <QTemporaryDir>
#include <QtTest>

#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

kvr::PromptSet promptSet(const std::vector<std::pair<std::string, std::string>>& prompts) {
  kvr::PromptSet set;
  set.source = "inline";
  for (const auto& [id, text] : prompts) set.prompts.push_back({id, text, 0});
  return set;
}

const kvr::PromptSet kCache = promptSet({
    {"cat", "The cat sat on the mat and fell asleep in the warm afternoon sun."},
    {"weather", "What will the weather be like tomorrow?"},
    {"recipe", "Give me a simple recipe for pancakes."},
});

const kvr::PromptSet kTest = promptSet({
    // Extends a cached prompt: both policies reuse it whole.
    {"extends", "What will the weather be like tomorrow? I want to go hiking."},
    // Shares only "The cat sat on the" with a cached prompt: a partial prefix.
    {"partial", "The cat sat on the sofa and watched the birds outside."},
    // Exactly a cached prompt: reuse all but the last token.
    {"whole", "Give me a simple recipe for pancakes."},
    // Shares nothing.
    {"unrelated", "Quantum computers use qubits."},
});

const kvr::PromptResult& byId(const std::vector<kvr::PromptResult>& results,
                              const std::string& id) {
  for (const auto& r : results) {
    if (r.promptId == id) return r;
  }
  qFatal("no result for %s", id.c_str());
}

}  // namespace

class TestExperiment : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::Model> model_;

  fs::path dir() const { return tmp_.path().toStdString(); }

  kvr::ExperimentConfig config(const std::string& policy) const {
    kvr::ExperimentConfig c;
    c.policy = kvr::parseReusePolicy(policy);
    c.maxNewTokens = 6;
    c.ignoreEos = true;
    c.repeats = 1;
    c.warmup = 0;
    c.storeDirectory = dir() / "kv";
    return c;
  }

 private slots:
  void initTestCase() { model_ = kvr::Model::load(kvr::test::tinyChaoticModel()); }

  void longestPrefixReusesPartialPrefixesExactly() {
    kvr::RunStore store(dir() / "runs.db");
    const auto outcome =
        kvr::runExperiment(*model_, kCache, kTest, config("longest-prefix"), store);
    QCOMPARE(outcome.status, kvr::RunStatus::Completed);
    const auto results = store.promptResults(outcome.runId);
    QCOMPARE(results.size(), size_t{4});
    const auto& tokenizer = model_->tokenizer();
    QCOMPARE(byId(results, "extends").reusedTokens,
             static_cast<int>(tokenizer.encode(kCache.prompts[1].text).size()));
    QVERIFY(byId(results, "partial").reusedTokens >= 4);
    QCOMPARE(byId(results, "partial").cachedPromptId, std::string("cat"));
    QCOMPARE(byId(results, "whole").reusedTokens, byId(results, "whole").promptTokens - 1);
    QCOMPARE(byId(results, "unrelated").reusedTokens, 0);
    for (const auto& r : results) {
      QVERIFY2(r.exactMatch, r.promptId.c_str());
      QCOMPARE(r.firstDivergence, -1);
      QVERIFY(r.maxLogitDiff <= 1e-4);
      QCOMPARE(r.outputSimilarity, 1.0);
      QCOMPARE(r.recycledOutputIds.size(), size_t{6});
      QVERIFY(r.fallbackReason.empty());
    }
    QCOMPARE(outcome.summary.exactMatchRate, 1.0);
    QCOMPARE(outcome.summary.cacheHits, 3);
  }

  void paperPolicyReusesOnlyWholeCachedPrompts() {
    kvr::RunStore store(dir() / "runs.db");
    const auto outcome = kvr::runExperiment(*model_, kCache, kTest, config("paper"), store);
    const auto results = store.promptResults(outcome.runId);
    QVERIFY(byId(results, "extends").reusedTokens > 0);
    QCOMPARE(byId(results, "partial").reusedTokens, 0);  // "cat" is not wholly a prefix
    QCOMPARE(byId(results, "whole").reusedTokens, byId(results, "whole").promptTokens - 1);
    for (const auto& r : results) QVERIFY2(r.exactMatch, r.promptId.c_str());
  }

  void storeEntriesPersistBetweenRuns() {
    kvr::RunStore store(dir() / "runs.db");
    std::vector<std::string> logs;
    kvr::ExperimentCallbacks callbacks;
    callbacks.log = [&logs](const std::string& line) { logs.push_back(line); };
    kvr::runExperiment(*model_, kCache, kTest, config("longest-prefix"), store, callbacks);
    QVERIFY(std::any_of(logs.begin(), logs.end(), [](const std::string& l) {
      return l.find("0 computed, 3 reused") != std::string::npos;
    }));
    QCOMPARE(store.cacheEntries(model_->fingerprint()).size(), size_t{3});
  }

  void corruptEntryFallsBackToFullPrefill() {
    const kvr::KVStore kv(dir() / "kv");
    const auto tokens = model_->tokenizer().encode(kCache.prompts[1].text);
    const fs::path file = kv.pathFor(kvr::KVStore::entryIdFor(model_->fingerprint(), tokens));
    QByteArray bytes = kvr::test::readBytes(file);
    bytes[bytes.size() - 5] = static_cast<char>(bytes[bytes.size() - 5] ^ 0x40);
    kvr::test::writeBytes(file, bytes);

    kvr::RunStore store(dir() / "runs.db");
    const auto outcome =
        kvr::runExperiment(*model_, kCache, kTest, config("longest-prefix"), store);
    const auto results = store.promptResults(outcome.runId);
    const auto& extends = byId(results, "extends");
    QVERIFY2(QString::fromStdString(extends.fallbackReason).contains("checksum mismatch"),
             extends.fallbackReason.c_str());
    QCOMPARE(extends.reusedTokens, 0);
    QVERIFY(extends.exactMatch);
    QCOMPARE(outcome.summary.fallbacks, 1);
    QCOMPARE(outcome.summary.exactMatchRate, 1.0);
  }

  void resultsSurviveReopening() {
    int64_t runId = 0;
    {
      kvr::RunStore store(dir() / "reopen.db");
      runId = kvr::runExperiment(*model_, kCache, kTest, config("paper"), store).runId;
    }
    const kvr::RunStore reopened(dir() / "reopen.db");
    const auto run = reopened.findRun(runId);
    QVERIFY(run.has_value());
    QCOMPARE(run->status, kvr::RunStatus::Completed);
    QVERIFY(run->summaryJson.find("exact_match_rate") != std::string::npos);
    QVERIFY(run->configJson.find("\"policy\":\"paper\"") != std::string::npos);
    QVERIFY(run->machineJson.find("torch_version") != std::string::npos);
    QCOMPARE(reopened.promptResults(runId).size(), size_t{4});
  }

  void cancellationKeepsCompletedResults() {
    kvr::RunStore store(dir() / "cancel.db");
    std::atomic<bool> cancel{false};
    kvr::ExperimentCallbacks callbacks;
    callbacks.promptDone = [&cancel](const kvr::PromptResult&) { cancel = true; };
    const auto outcome = kvr::runExperiment(*model_, kCache, kTest, config("longest-prefix"), store,
                                            callbacks, &cancel);
    QCOMPARE(outcome.status, kvr::RunStatus::Cancelled);
    const auto run = store.findRun(outcome.runId);
    QCOMPARE(run->status, kvr::RunStatus::Cancelled);
    QCOMPARE(store.promptResults(outcome.runId).size(), size_t{1});
  }

  void badInputCreatesNoRun() {
    kvr::RunStore store(dir() / "bad.db");
    kvr::ExperimentConfig c = config("longest-prefix");
    c.maxNewTokens = 1020;
    try {
      kvr::runExperiment(*model_, kCache, kTest, c, store);
      QFAIL("an over-long request was accepted");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains("exceed the model's context"), e.what());
      QVERIFY2(QString(e.what()).contains("'extends'"), e.what());
    }
    // Names are parsed at the edges (CLI, GUI): an unknown policy never reaches a run.
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseReusePolicy("sideways"));
    c = config("paper");
    c.noise.decodeThreshold = 0;
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::runExperiment(*model_, kCache, kTest, c, store));
    QCOMPARE(store.listRuns().size(), size_t{0});
  }

  // A K/V load that silently copies nothing must never pass as exact: the
  // recycled arm starts from its own poisoned buffer, not the baseline's.
  void skippedKvCopyIsNeverExact() {
    kvr::RunStore store(dir() / "fault.db");
    auto c = config("longest-prefix");
    c.storeDirectory = dir() / "kv-fault";  // intact entries, whatever earlier tests did
    qputenv("KVRECYCLE_FAULT", "skip-kv-copy");
    const auto outcome = kvr::runExperiment(*model_, kCache, kTest, c, store);
    qunsetenv("KVRECYCLE_FAULT");
    const auto results = store.promptResults(outcome.runId);
    int reused = 0;
    for (const auto& r : results) {
      if (r.reusedTokens == 0) continue;
      ++reused;
      QVERIFY2(!r.exactMatch, r.promptId.c_str());
      QVERIFY(r.firstDivergence >= 0);
    }
    QCOMPARE(reused, 3);  // extends and whole (full prefixes), partial (a partial one)
    QCOMPARE(outcome.summary.reusedPrompts, 3);
    QCOMPARE(outcome.summary.exactReused, 0);
    QCOMPARE(outcome.summary.exactMatchRate, 0.0);
    // The unrelated prompt reused nothing: no verdict either way.
    QVERIFY(!byId(results, "unrelated").exactnessTested());

    // Without the fault, the same run is exact on every reused prompt.
    const auto clean = kvr::runExperiment(*model_, kCache, kTest, c, store);
    QCOMPARE(clean.summary.exactReused, 3);
    QCOMPARE(clean.summary.exactMatchRate, 1.0);
  }

  void everyRepeatIsTimedAndJudged() {
    kvr::RunStore store(dir() / "repeats.db");
    auto c = config("longest-prefix");
    c.repeats = 3;
    c.noise.maxRemeasure = 2;
    const auto outcome = kvr::runExperiment(*model_, kCache, kTest, c, store);
    for (const auto& r : store.promptResults(outcome.runId)) {
      QCOMPARE(r.measuredRepeats, 3);
      QVERIFY(r.remeasuredRepeats >= 0 && r.remeasuredRepeats <= 2);
      QVERIFY(r.baselineTtftIqrSeconds >= 0 && r.recycledDecodeIqrSeconds >= 0);
      QVERIFY(r.idealRecycledTtftSeconds > 0);
      // A prompt is noisy exactly when it says why.
      QCOMPARE(r.noisy, !r.noiseReason.empty());
    }
    const auto run = store.findRun(outcome.runId);
    QVERIFY(run->configJson.find("\"noise_threshold\":0.05") != std::string::npos);
    QVERIFY(run->configJson.find("\"kv_page_cache\":\"warm\"") != std::string::npos);
    QCOMPARE(kvr::summaryFromJson(run->summaryJson).plannedPrompts, 4);
  }

  void sampleSetsAreExact() {
    kvr::RunStore store(dir() / "samples.db");
    const kvr::PromptSet cache = kvr::readPromptCsv(kvr::test::sampleFile("study_cache.csv"));
    const kvr::PromptSet test = kvr::readPromptCsv(kvr::test::sampleFile("study_test.csv"));
    QCOMPARE(cache.prompts.size(), size_t{10});
    QCOMPARE(test.prompts.size(), size_t{7});
    const auto outcome = kvr::runExperiment(*model_, cache, test, config("paper"), store);
    QCOMPARE(outcome.summary.exactMatchRate, 1.0);
    QCOMPARE(outcome.summary.cacheHits, 6);
  }
};

QTEST_GUILESS_MAIN(TestExperiment)
#include "test_experiment.moc"
