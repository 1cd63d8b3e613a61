// Eviction inside a generation (issue: seed 003): the methods keep what they
// promise, evicted entries take no part in attention, and the footprint is
// counted exactly. The chaotic tiny model makes outputs depend on every entry.
// torch (inside the engine header) before Qt, whose "slots" macro breaks it.
#include "model/model_impl.h"

#include <QtTest>

#include <cmath>
#include <cstring>

#include "eviction/key_selection.h"
#include "kvrecycle/error.h"
#include "kvrecycle/eviction.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/model.h"
#include "test_support.h"

namespace {

using kvr::EvictionMethod;
using kvr::EvictionSettings;

EvictionSettings settings(EvictionMethod method, int budget) {
  EvictionSettings s;
  s.method = method;
  s.budget = budget;
  return s;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<uint8_t> row(std::initializer_list<int> flags) {
  return std::vector<uint8_t>(flags.begin(), flags.end());
}

}  // namespace

class TestEviction : public QObject {
  Q_OBJECT
  std::unique_ptr<kvr::Model> model_;
  const std::vector<int> prompt_ = kvr::test::randomTokens(11, 40);

 private slots:
  void initTestCase() { model_ = kvr::Model::load(kvr::test::tinyChaoticModel()); }

  void windowKeepsSinksAndLatest() {
    std::vector<uint8_t> live(10, 1);
    kvr::eviction::keepWindow(live.data(), 10, 5, 2);
    QCOMPARE(live, row({1, 1, 0, 0, 0, 0, 0, 1, 1, 1}));
    kvr::eviction::keepWindow(live.data(), 10, 5, 2);  // already within budget: unchanged
    QCOMPARE(live, row({1, 1, 0, 0, 0, 0, 0, 1, 1, 1}));
  }

  void topScoredKeepsRecentAndBest() {
    std::vector<uint8_t> live(8, 1);
    live[1] = 0;  // already evicted: never revived
    const float scores[8] = {0.1f, 9.0f, 0.5f, 0.3f, 0.5f, 0.2f, 0.0f, 0.0f};
    kvr::eviction::keepTopScored(live.data(), 8, 4, 2, scores);
    // Recent 6 and 7; of 0, 2, 3, 4, 5 the best two: 2 and 4 tie at 0.5, 2 is earlier.
    QCOMPARE(live, row({0, 0, 1, 0, 1, 0, 1, 1}));
  }

  void poolingSpreadsPeaks() {
    const float scores[6] = {0, 0, 5, 0, 0, 1};
    const std::vector<float> pooled = kvr::eviction::maxPooled(scores, 6, 3);
    QCOMPARE(pooled, (std::vector<float>{0, 5, 5, 5, 1, 1}));
  }

  void badSettingsAreRefused() {
    QVERIFY_THROWS_EXCEPTION(kvr::Error, settings(EvictionMethod::Window, 0).validate());
    EvictionSettings s = settings(EvictionMethod::Window, 4);
    s.sinks = 4;
    QVERIFY_THROWS_EXCEPTION(kvr::Error, s.validate());
    s = settings(EvictionMethod::Heavy, 8);
    s.recent = 9;
    QVERIFY_THROWS_EXCEPTION(kvr::Error, s.validate());
    QCOMPARE(kvr::parseEvictionMethod("snap"), std::optional(EvictionMethod::Snap));
    QVERIFY(!kvr::parseEvictionMethod("h2o"));
  }

  // `full` is the normal engine: the same tokens and the same logits, bit for bit.
  void fullIsTheEngineBitForBit() {
    const kvr::EvictedPass full =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Full, 0), 12, true);
    auto cache = model_->newCache(static_cast<int>(prompt_.size()) + 12);
    kvr::GenerationOptions options;
    options.maxNewTokens = 12;
    options.ignoreEos = true;
    options.keepLogitsSteps = -1;
    const kvr::GenerationResult engine = kvr::generateGreedy(*model_, *cache, prompt_, options);
    QCOMPARE(full.outputIds, engine.outputIds);
    QCOMPARE(full.stepLogits.size(), engine.stepLogits.size());
    for (size_t i = 0; i < full.stepLogits.size(); ++i) {
      QVERIFY2(sameBits(full.stepLogits[i], engine.stepLogits[i]), qPrintable(QString::number(i)));
    }
  }

  // A budget that holds the whole sequence evicts nothing: the result is full's, bit for bit.
  void roomyBudgetsEqualFull_data() {
    QTest::addColumn<int>("method");
    for (EvictionMethod m : {EvictionMethod::Window, EvictionMethod::Heavy, EvictionMethod::Snap}) {
      QTest::addRow("%s", kvr::evictionMethodName(m)) << static_cast<int>(m);
    }
  }
  void roomyBudgetsEqualFull() {
    QFETCH(int, method);
    const auto full =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Full, 0), 12, true);
    const auto roomy = kvr::generateEvicted(
        *model_, prompt_, settings(static_cast<EvictionMethod>(method), 64), 12, true);
    QCOMPARE(roomy.outputIds, full.outputIds);
    for (size_t i = 0; i < full.stepLogits.size(); ++i) {
      QVERIFY(sameBits(roomy.stepLogits[i], full.stepLogits[i]));
    }
    QCOMPARE(roomy.footprint, full.footprint);
  }

  // Chunked prefill without eviction is one-shot prefill (within float reassociation).
  void chunkedWithoutEvictionIsOneShot() {
    EvictionSettings chunked = settings(EvictionMethod::Chunked, 64);
    chunked.chunk = 7;
    const auto full =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Full, 0), 12, true);
    const auto split = kvr::generateEvicted(*model_, prompt_, chunked, 12, true);
    QCOMPARE(split.outputIds, full.outputIds);
    for (size_t i = 0; i < full.stepLogits.size(); ++i) {
      for (size_t v = 0; v < full.stepLogits[i].size(); ++v) {
        QVERIFY(std::fabs(split.stepLogits[i][v] - full.stepLogits[i][v]) <= 1e-4f);
      }
    }
  }

  // An evicted entry gets exactly zero attention, and what it holds cannot change the output.
  void evictedEntriesTakeNoPart() {
    const kvr::ModelConfig& c = model_->config();
    const int length = static_cast<int>(prompt_.size());
    auto run = [&](bool scribble) {
      auto cache = model_->newCache(length + 1);
      kvr::KVCache::Impl& impl = kvr::EngineAccess::of(*cache);
      model_->forward(*cache, prompt_);
      kvr::KeyMask mask(c.nLayer, c.nHead, cache->capacity());
      kvr::AttentionTap tap(c.nLayer, c.nHead, cache->capacity());
      tap.fromPosition = length;
      for (int l = 0; l < c.nLayer; ++l) {
        for (int h = 0; h < c.nHead; ++h) {
          for (int p : {0, 3, 17, 30}) mask.row(l, h)[p] = 0;
        }
        if (scribble) {  // finite garbage in the evicted positions' K and V
          for (int p : {0, 3, 17, 30}) {
            impl.keys[static_cast<size_t>(l)].select(1, p).fill_(1e3);
            impl.values[static_cast<size_t>(l)].select(1, p).fill_(-1e3);
          }
        }
      }
      impl.keyMask = &mask;
      impl.tap = &tap;
      std::vector<float> logits = model_->forward(*cache, {5});
      impl.keyMask = nullptr;
      impl.tap = nullptr;
      return std::make_pair(logits, tap);
    };
    const auto [clean, tap] = run(false);
    const auto [scribbled, unused] = run(true);
    QVERIFY(sameBits(clean, scribbled));
    for (int l = 0; l < c.nLayer; ++l) {
      for (int h = 0; h < c.nHead; ++h) {
        const float* weights = tap.row(l, h);
        double sum = 0;
        for (int p = 0; p <= length; ++p) sum += weights[p];
        QVERIFY(std::fabs(sum - 1.0) < 1e-5);  // one query's softmax row
        for (int p : {0, 3, 17, 30}) QCOMPARE(weights[p], 0.0f);
        QVERIFY(weights[1] > 0.0f);
      }
    }
  }

  // Footprint by hand: E = layers x heads entries per token; m prompt tokens, N new ones.
  void footprintArithmetic() {
    const kvr::ModelConfig& c = model_->config();
    const int64_t e = static_cast<int64_t>(c.nLayer) * c.nHead;
    const int64_t m = static_cast<int64_t>(prompt_.size()), n = 12, b = 10;
    const auto full =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Full, 0), 12, false);
    // Token t (1-based) of the m + N - 1 forwarded ones sees t entries per layer and head.
    QCOMPARE(full.footprint, e * (m + n - 1) * (m + n) / 2);
    QCOMPARE(full.peakEntries, e * (m + n - 1));
    const auto window =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Window, 10), 12, false);
    // The prompt as full; then each of N - 1 steps sees the b kept entries plus itself.
    QCOMPARE(window.footprint, e * (m * (m + 1) / 2 + (n - 1) * (b + 1)));
    QCOMPARE(window.peakEntries, e * m);
    EvictionSettings chunked = settings(EvictionMethod::Chunked, 10);
    chunked.chunk = 8;
    const auto lowPeak = kvr::generateEvicted(*model_, prompt_, chunked, 12, false);
    // A chunk of 8 on top of at most b kept entries, or decoding's N - 1 appended to b:
    // either way below the whole prompt that post-fill eviction holds at its peak.
    QCOMPARE(lowPeak.peakEntries, e * std::max(b + 8, b + n - 1));
    QVERIFY(lowPeak.peakEntries < window.peakEntries);
  }

  void fidelityOfFullIsPerfect() {
    const kvr::EvictionReference reference = kvr::evictionReference(*model_, prompt_, 8, {});
    const kvr::EvictionFidelity same =
        kvr::evaluateEviction(*model_, prompt_, settings(EvictionMethod::Full, 0), reference);
    QCOMPARE(same.footprintRatio, 1.0);
    QCOMPARE(same.tokenAgreement, 1.0);
    QCOMPARE(same.firstDivergence, -1);
    QCOMPARE(same.maxLogitDiff, 0.0);
    QCOMPARE(same.nllDelta, 0.0);
    const kvr::EvictionFidelity tight =
        kvr::evaluateEviction(*model_, prompt_, settings(EvictionMethod::Window, 6), reference);
    QVERIFY(tight.footprintRatio < 1.0);
    QVERIFY(tight.maxLogitDiff > 0.0);  // the chaotic model feels every evicted entry
  }
};

QTEST_GUILESS_MAIN(TestEviction)
#include "test_eviction.moc"
