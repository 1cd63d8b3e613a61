// The cost model ("never slower"): the fit, its predictions and decisions on
// an injected model (no timing), the judgement of a decision, persistence,
// the run summary's counts, the value policy's use of it, and calibration on
// the tiny model (what it records, not how fast).
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

#include "experiment/cost_calibration.h"
#include "experiment/cost_gate.h"
#include "experiment/cost_model.h"
#include "kv/store_ledger.h"
#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "kvrecycle/results.h"
#include "test_support.h"

namespace {

constexpr double kMs = 1e-3;
constexpr int64_t kBytesPerToken = 1000;

// Prefill: 1 ms + 1 ms per token (no attention term). Warm loads: 0.05 ms +
// 0.1 ms per 1000 bytes (a token); cold loads: 20 ms + 1 ms per token.
kvr::CostModel injectedModel() {
  kvr::CostModel m;
  m.key = "injected";
  for (const int n : {1, 16, 64, 256}) m.addPrefill(n, (1.0 + n) * kMs);
  for (const int n : {1, 16, 256}) {
    const int64_t bytes = n * kBytesPerToken;
    m.addLoad(kvr::KVDtype::F32, kvr::PageCacheMode::Warm, bytes, (0.05 + 0.1 * n) * kMs);
    m.addLoad(kvr::KVDtype::F32, kvr::PageCacheMode::Cold, bytes, (20.0 + 1.0 * n) * kMs);
  }
  return m;
}

kvr::CostGate gateFor(const kvr::CostModel& m, kvr::PageCacheMode mode) {
  return {&m, kvr::KVDtype::F32, mode, 0.05, kBytesPerToken};
}

kvr::ReusePlan planOf(int reuse) {
  kvr::ReusePlan p;
  p.entry = 3;
  p.reuse = reuse;
  p.nearestEntry = 3;
  p.promptSimilarity = 0.9;
  return p;
}

}  // namespace

class TestCostModel : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private slots:
  void fitRecoversAQuadratic() {
    std::vector<kvr::CostSample> s;
    for (const int n : {1, 10, 50, 200, 600})
      s.push_back({double(n), 0.002 + 3e-4 * n + 2e-7 * n * n});
    const std::vector<double> f = kvr::fitPolynomial(s, 2);
    QVERIFY(std::fabs(f[0] - 0.002) < 1e-9);
    QVERIFY(std::fabs(f[1] - 3e-4) < 1e-11);
    QVERIFY(std::fabs(f[2] - 2e-7) < 1e-13);
  }

  // Noise that would make a coefficient negative (a curve bending down) drops it instead.
  void fitKeepsCoefficientsNonNegative() {
    const std::vector<kvr::CostSample> s{{1, 0.010}, {100, 0.050}, {200, 0.080}, {400, 0.120}};
    const std::vector<double> f = kvr::fitPolynomial(s, 2);
    for (const double c : f) QVERIFY(c >= 0);
    QVERIFY(f[1] > 0);  // still increasing
    QCOMPARE(kvr::fitPolynomial({}, 1), (std::vector<double>{0, 0}));
  }

  void attentionTermCountsCachedPositions() {
    kvr::CostModel m;
    for (const int n : {1, 10, 100, 400}) m.addPrefill(n, 1e-3 + 1e-6 * n * n);
    // 10 new tokens after 300 cached attend over 310 positions: 1 ms + (310^2 - 300^2) us,
    // six times the cost of 10 tokens alone.
    QVERIFY(std::fabs(m.prefillSeconds(300, 10) - 7.1e-3) < 1e-9);
    QVERIFY(m.prefillSeconds(300, 10) > 6 * m.prefillSeconds(0, 10));
    QVERIFY(std::fabs(m.prefillSeconds(0, 100) - (1e-3 + 1e-2)) < 1e-9);
  }

  // Cold page cache and a tiny reuse depth: the load costs more than it saves.
  void declinesTinyColdReuse() {
    const kvr::CostModel m = injectedModel();
    kvr::PromptResult r;
    const kvr::ReusePlan gated =
        kvr::gateReuse(gateFor(m, kvr::PageCacheMode::Cold), planOf(2), 40, r);
    QCOMPARE(r.costDecision, std::string("decline"));
    QCOMPARE(gated.entry, -1);
    QCOMPARE(gated.reuse, 0);
    QCOMPARE(gated.nearestEntry, 3);  // still reported
    QCOMPARE(r.costPlannedReuse, 2);
    QVERIFY(std::fabs(r.predictedBaselineTtftSeconds - 41 * kMs) < 1e-6);
    QVERIFY(r.predictedRecycledTtftSeconds > r.predictedBaselineTtftSeconds);
  }

  void recyclesDeepWarmReuse() {
    const kvr::CostModel m = injectedModel();
    kvr::PromptResult r;
    const kvr::ReusePlan gated =
        kvr::gateReuse(gateFor(m, kvr::PageCacheMode::Warm), planOf(38), 40, r);
    QCOMPARE(r.costDecision, std::string("recycle"));
    QCOMPARE(gated.entry, 3);
    QCOMPARE(gated.reuse, 38);
    // 0.05 + 3.8 ms load + 1 + 2 ms prefill vs 41 ms.
    QVERIFY(std::fabs(r.predictedRecycledTtftSeconds - 6.85 * kMs) < 1e-6);
  }

  // The margin: a predicted saving below it is declined.
  void marginDeclinesSmallSavings() {
    const kvr::CostModel m = injectedModel();
    // Warm, k = 2 of 40: 0.25 ms load + 39 ms vs 41 ms, a 4.3 % saving.
    const auto p = kvr::predictReuse(m, 40, 2, 2 * kBytesPerToken, kvr::KVDtype::F32,
                                     kvr::PageCacheMode::Warm, 0.05);
    QVERIFY(!p.recycle);
    QVERIFY(kvr::predictReuse(m, 40, 2, 2 * kBytesPerToken, kvr::KVDtype::F32,
                              kvr::PageCacheMode::Warm, 0.0)
                .recycle);
  }

  void offOrNothingToReuseDecidesNothing() {
    const kvr::CostModel m = injectedModel();
    kvr::PromptResult r;
    kvr::CostGate off;
    QCOMPARE(kvr::gateReuse(off, planOf(38), 40, r).reuse, 38);
    kvr::ReusePlan none;
    QCOMPARE(kvr::gateReuse(gateFor(m, kvr::PageCacheMode::Warm), none, 40, r).entry, -1);
    QVERIFY(r.costDecision.empty());
    QVERIFY(std::isnan(r.predictedBaselineTtftSeconds));
  }

  void missingLoadSeriesIsAnError() {
    const kvr::CostModel m = injectedModel();
    try {
      kvr::predictReuse(m, 40, 10, 10, kvr::KVDtype::Int8, kvr::PageCacheMode::Warm, 0.05);
      QFAIL("no int8 loads were measured");
    } catch (const kvr::Error& e) {
      QVERIFY2(std::string(e.what()).find("int8/warm") != std::string::npos, e.what());
    }
  }

  void judgesAgainstTheFasterPath_data() {
    QTest::addColumn<QString>("decision");
    QTest::addColumn<double>("baseline");
    QTest::addColumn<double>("recycled");  // the recycled path as measured
    QTest::addColumn<bool>("right");
    QTest::newRow("recycled and faster") << "recycle" << 0.04 << 0.01 << true;
    QTest::newRow("recycled but slower") << "recycle" << 0.04 << 0.05 << false;
    QTest::newRow("declined a slower path") << "decline" << 0.04 << 0.06 << true;
    QTest::newRow("declined a faster path") << "decline" << 0.04 << 0.02 << false;
    QTest::newRow("declined an unloadable path") << "decline" << 0.04 << std::nan("") << true;
  }
  void judgesAgainstTheFasterPath() {
    QFETCH(QString, decision);
    QFETCH(double, baseline);
    QFETCH(double, recycled);
    QFETCH(bool, right);
    kvr::PromptResult r;
    r.costDecision = decision.toStdString();
    r.baselineTtftSeconds = baseline;
    (r.costDecision == "recycle" ? r.recycledTtftSeconds : r.declinedRecycledTtftSeconds) =
        recycled;
    r.costModelRight = !right;
    kvr::judgeCostDecision(r);
    QCOMPARE(r.costModelRight, right);
  }

  void summaryCountsDecisions() {
    std::vector<kvr::PromptResult> results(4);
    results[0].costDecision = "recycle", results[0].costModelRight = true;
    results[1].costDecision = "decline", results[1].costModelRight = true;
    results[2].costDecision = "decline", results[2].costModelRight = false;
    const kvr::RunSummary s = kvr::summarizeResults(results);
    QCOMPARE(s.costModelDecisions, 3);
    QCOMPARE(s.costModelDeclined, 2);
    QVERIFY(std::fabs(s.costModelRightRate - 2.0 / 3.0) < 1e-12);
    const kvr::RunSummary back = kvr::summaryFromJson(kvr::summaryToJson(s));
    QCOMPARE(back.costModelDeclined, 2);
    QVERIFY(std::isnan(kvr::summarizeResults({kvr::PromptResult{}}).costModelRightRate));
  }

  void persistsPerKey() {
    const std::filesystem::path file = tmp_.filePath("cost_model.json").toStdString();
    QVERIFY(!kvr::loadCostModel(file, "injected"));
    kvr::CostModel other;
    other.key = "other machine";
    other.addPrefill(8, 0.5);
    kvr::saveCostModel(file, other);
    kvr::saveCostModel(file, injectedModel());
    const auto back = kvr::loadCostModel(file, "injected");
    QVERIFY(back);
    QCOMPARE(back->prefill.size(), size_t{4});
    QVERIFY(back->hasLoad(kvr::KVDtype::F32, kvr::PageCacheMode::Cold));
    QVERIFY(!back->hasLoad(kvr::KVDtype::F16, kvr::PageCacheMode::Cold));
    QCOMPARE(kvr::loadCostModel(file, "other machine")->prefill.size(), size_t{1});
    std::ofstream(file) << "{\"models\": 3}";
    try {
      kvr::loadCostModel(file, "injected");
      QFAIL("a corrupt file must be refused");
    } catch (const kvr::Error& e) {
      QVERIFY2(std::string(e.what()).find("cost_model.json") != std::string::npos, e.what());
    }
  }

  void keepsTheNewestSamples() {
    kvr::CostModel m;
    for (size_t i = 0; i < kvr::CostModel::kMaxSamples + 10; ++i) m.addPrefill(int(i) + 1, 1.0);
    QCOMPARE(m.prefill.size(), kvr::CostModel::kMaxSamples);
    QCOMPARE(m.prefill.front().x, 11.0);
    m.addPrefill(0, 1.0);  // not a prefill
    m.addPrefill(5, -1.0);
    QCOMPARE(m.prefill.back().x, double(kvr::CostModel::kMaxSamples + 10));
  }

  // value eviction with the fitted model: an entry whose reuse depth saves
  // less prefill than its load's fixed cost has no value and goes first, even
  // when it was hit more often than a deeper one.
  void valuePolicyUsesTheSavingEstimate() {
    kvr::StoreLedger ledger;
    ledger.admit("shallow", 1000, 100);
    ledger.admit("deep", 1000, 100);
    for (int i = 0; i < 5; ++i) ledger.recordHit("shallow", 10, 0.001);
    ledger.recordHit("deep", 25, 0.05);
    // Seconds per token x depth: 6/9 x 10 for shallow > 2/8 x 25 for deep.
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Value, 1000, {})->id, std::string("deep"));
    kvr::CostModel m;  // prefill 1 ms + 1 ms per token; cold loads 20 ms + 0.1 ms per token
    for (const int n : {1, 16, 64, 256}) m.addPrefill(n, (1.0 + n) * kMs);
    for (const int n : {1, 256}) {
      m.addLoad(kvr::KVDtype::F32, kvr::PageCacheMode::Cold, n * kBytesPerToken,
                (20.0 + 0.1 * n) * kMs);
    }
    const auto saving = [&m](int depth) {
      return kvr::reuseSavingSeconds(m, depth, depth * kBytesPerToken, kvr::KVDtype::F32,
                                     kvr::PageCacheMode::Cold);
    };
    QVERIFY(saving(10) < 0);                            // 9 ms saved, 21 ms load
    QVERIFY(std::fabs(saving(25) - 2.5 * kMs) < 1e-6);  // 25 - 22.5 ms
    ledger.setSavingEstimate(saving);
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Value, 1000, {})->id,
             std::string("shallow"));
  }

  // Calibration on the tiny model: measures prefill and the requested loads
  // once, names its key by model and machine, and leaves no scratch entry.
  void calibratesOnceAndStores() {
    const auto model = kvr::Model::load(kvr::test::tinyModel());
    const std::filesystem::path store = tmp_.filePath("store").toStdString();
    std::filesystem::create_directories(store);
    const kvr::CalibrationRequest request{kvr::KVDtype::F16, kvr::PageCacheMode::Warm, 0, 1};
    QVERIFY(!kvr::costModelForRun(*model, store, request, false, {}));
    QStringList said;
    const auto log = [&said](const std::string& line) { said << QString::fromStdString(line); };
    const auto first = kvr::costModelForRun(*model, store, request, true, log);
    QVERIFY(first);
    QVERIFY(first->hasPrefill());
    QVERIFY(first->hasLoad(kvr::KVDtype::F16, kvr::PageCacheMode::Warm));
    QVERIFY(!first->hasLoad(kvr::KVDtype::F32, kvr::PageCacheMode::Warm));
    QVERIFY(first->key.rfind(model->fingerprint() + "|", 0) == 0);
    QVERIFY(first->key.find("threads|cpu") != std::string::npos);
    QVERIFY(!std::filesystem::exists(store / "cost_calibration"));
    QCOMPARE(said.size(), 1);
    QVERIFY(said[0].contains("fp16/warm loads"));
    // Stored: the next run measures nothing and finds the same samples.
    const auto again = kvr::costModelForRun(*model, store, request, true, log);
    QCOMPARE(said.size(), 1);
    QCOMPARE(again->prefill.size(), first->prefill.size());
    QVERIFY(kvr::costModelForRun(*model, store, request, false, {}));
    // Another dtype adds only its loads.
    kvr::CalibrationRequest int8 = request;
    int8.dtype = kvr::KVDtype::Int8;
    const auto third = kvr::costModelForRun(*model, store, int8, true, log);
    QCOMPARE(third->prefill.size(), first->prefill.size());
    QVERIFY(third->hasLoad(kvr::KVDtype::Int8, kvr::PageCacheMode::Warm));
    QVERIFY(third->hasLoad(kvr::KVDtype::F16, kvr::PageCacheMode::Warm));
  }
};

QTEST_GUILESS_MAIN(TestCostModel)
#include "test_cost_model.moc"
