// Online runs on the tiny model: a conversation reuses each previous turn's
// prompt and reply exactly; the admission threshold; a store budget holds at
// every sample, also after a restart, and shrinks the footprint.
#include <QTemporaryDir>
#include <QtTest>

#include "kvrecycle/experiment.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/workloads.h"
#include "test_support.h"

namespace fs = std::filesystem;

class TestOnlineRun : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::Model> model_;
  kvr::PromptSet conversation_;
  const kvr::PromptSet noCache_{"(none)", {}, {}};

  fs::path dir() const { return tmp_.path().toStdString(); }

  kvr::ExperimentConfig online(const std::string& store) const {
    kvr::ExperimentConfig c;
    c.mode = kvr::RunMode::Online;
    c.conversation = true;
    c.maxNewTokens = 5;
    c.ignoreEos = true;
    c.repeats = 1;
    c.warmup = 0;
    c.storeDirectory = dir() / store;
    return c;
  }

  kvr::ExperimentOutcome run(const kvr::ExperimentConfig& config,
                             std::vector<kvr::PromptResult>& results) {
    kvr::RunStore store(dir() / "runs.db");
    const auto outcome = kvr::runExperiment(*model_, noCache_, conversation_, config, store);
    results = store.promptResults(outcome.runId);
    return outcome;
  }

 private slots:
  void initTestCase() {
    model_ = kvr::Model::load(kvr::test::tinyChaoticModel());
    kvr::WorkloadOptions o;
    o.kind = "conversation";
    o.sessions = 2;
    o.turns = 3;
    o.suffixTokens = 12;
    conversation_ = kvr::makeWorkload(model_->tokenizer(), o).test;
  }

  void conversationReusesThePreviousTurnExactly() {
    std::vector<kvr::PromptResult> results;
    const auto outcome = run(online("kv-conversation"), results);
    QCOMPARE(outcome.status, kvr::RunStatus::Completed);
    QCOMPARE(results.size(), size_t{6});
    std::map<std::string, kvr::PromptResult> previous;
    for (const kvr::PromptResult& r : results) {
      QCOMPARE(r.promptId, r.session + "-t" + std::to_string(r.turn));
      QCOMPARE(r.storeAdmission, std::string("admitted"));
      if (r.turn > 1) {
        const kvr::PromptResult& before = previous.at(r.session);
        // The previous turn's prompt and the model's reply to it, all reused.
        QCOMPARE(r.reusedTokens, before.promptTokens + before.baselineTokensGenerated);
        QVERIFY(r.exactMatch);
        QVERIFY(r.promptTokens > before.promptTokens + before.baselineTokensGenerated);
      }
      previous[r.session] = r;
    }
    QVERIFY(outcome.summary.hitRate >= 4.0 / 6.0);
    QCOMPARE(outcome.summary.admissions, 6);
    QCOMPARE(outcome.summary.evictions, 0);
    QCOMPARE(outcome.summary.footprintRatio, 1.0);  // nothing evicted: the unbounded store
    QCOMPARE(outcome.summary.peakResidentBytes, results.back().residentBytes);
  }

  void admissionThresholdSkipsShortPrompts() {
    kvr::ExperimentConfig c = online("kv-threshold");
    c.admitMinTokens = 100000;
    std::vector<kvr::PromptResult> results;
    const auto outcome = run(c, results);
    for (const kvr::PromptResult& r : results) {
      QCOMPARE(r.storeAdmission, std::string("skipped"));
      QCOMPARE(r.reusedTokens, 0);
    }
    QCOMPARE(outcome.summary.admissions, 0);
  }

  void budgetHoldsAtEverySampleAcrossRestarts() {
    std::vector<kvr::PromptResult> results;
    const auto unbounded = run(online("kv-unbounded"), results);
    const int64_t budget = unbounded.summary.peakResidentBytes / 3;
    kvr::ExperimentConfig c = online("kv-budget");
    c.storeBudgetBytes = budget;
    for (const auto policy : {kvr::EvictionPolicy::Lru, kvr::EvictionPolicy::Value}) {
      c.eviction = policy;
      const auto bounded = run(c, results);
      QCOMPARE(bounded.status, kvr::RunStatus::Completed);
      int samples = 0;
      for (const kvr::PromptResult& r : results) {
        for (const kvr::StoreSample& s : r.storeSamples) {
          QVERIFY2(s.residentBytes <= budget, (r.promptId + " " + s.event).c_str());
          QVERIFY(s.residentBytes <= s.unboundedBytes);
          ++samples;
        }
      }
      QVERIFY(samples >= 6);
      QVERIFY(bounded.summary.evictions > 0);
      QVERIFY(bounded.summary.peakResidentBytes <= budget);
      QVERIFY(bounded.summary.footprintRatio < 1.0);
      c.storeBudgetBytes = kvr::kKeepStoreBudget;  // the next run keeps the persisted budget
    }
  }
};

QTEST_GUILESS_MAIN(TestOnlineRun)
#include "test_online_run.moc"
