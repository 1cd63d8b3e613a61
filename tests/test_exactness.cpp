// The property the product rests on: K/V of a prefix, reused, give the same
// logits (within float reassociation) and the same greedy tokens as a full prefill.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <set>

#include "kvrecycle/error.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/model.h"
#include "test_support.h"

namespace {

constexpr float kTolerance = 1e-4f;
// The models under test: the standard and the chaotic tiny model, and the
// chaotic one reading bf16 weights (its own reference: recycling under bf16
// must match baseline under bf16 as exactly as under float32).
constexpr int kModels = 3;
const char* const kModelNames[kModels] = {"standard", "chaotic", "chaotic bf16"};

}  // namespace

class TestExactness : public QObject {
  Q_OBJECT
  std::unique_ptr<kvr::Model> models_[kModels];

  const kvr::Model& model(int which) { return *models_[which]; }

 private slots:
  void initTestCase() {
    models_[0] = kvr::Model::load(kvr::test::tinyModel());
    models_[1] = kvr::Model::load(kvr::test::tinyChaoticModel());
    kvr::LoadOptions bf16;
    bf16.weightsDtype = kvr::WeightsDtype::BF16;
    models_[2] = kvr::Model::load(kvr::test::tinyChaoticModel(), bf16);
  }

  void splitPrefillMatchesFullPrefill_data() {
    QTest::addColumn<int>("which");
    QTest::addColumn<unsigned>("seed");
    QTest::addColumn<int>("length");
    for (int which = 0; which < kModels; ++which) {
      for (unsigned seed = 1; seed <= 6; ++seed) {
        const int length = 4 + static_cast<int>(seed * 37 % 120);
        QTest::addRow("%s seed %u length %d", kModelNames[which], seed, length)
            << which << seed << length;
      }
    }
  }
  void splitPrefillMatchesFullPrefill() {
    QFETCH(int, which);
    QFETCH(unsigned, seed);
    QFETCH(int, length);
    const kvr::Model& m = model(which);
    const size_t vocab = static_cast<size_t>(m.config().vocabSize);
    const std::vector<int> tokens = kvr::test::randomTokens(seed, length);
    const auto full = m.newCache(length);
    const std::vector<float> reference = m.forward(*full, tokens, true);

    float worst = 0;
    for (int split : {1, length / 3, length / 2, length - 1}) {
      if (split < 1 || split >= length) continue;
      const auto cache = m.newCache(length);
      const std::vector<int> prefix(tokens.begin(), tokens.begin() + split);
      const std::vector<int> suffix(tokens.begin() + split, tokens.end());
      const std::vector<float> head = m.forward(*cache, prefix, true);
      const std::vector<float> tail = m.forward(*cache, suffix, true);
      QCOMPARE(cache->tokens(), tokens);
      worst = std::max(worst, kvr::test::maxAbsDiff(head.data(), reference.data(), head.size()));
      worst = std::max(
          worst, kvr::test::maxAbsDiff(tail.data(), reference.data() + split * vocab, tail.size()));
    }
    QVERIFY2(worst <= kTolerance, qPrintable(QString("max |logit diff| %1").arg(worst)));
  }

  void recycledGreedyMatchesBaseline_data() {
    QTest::addColumn<int>("which");
    QTest::addColumn<unsigned>("seed");
    for (int which = 0; which < kModels; ++which) {
      for (unsigned seed = 10; seed < 16; ++seed) {
        QTest::addRow("%s seed %u", kModelNames[which], seed) << which << seed;
      }
    }
  }
  void recycledGreedyMatchesBaseline() {
    QFETCH(int, which);
    QFETCH(unsigned, seed);
    const kvr::Model& m = model(which);
    const int length = 20 + static_cast<int>(seed % 7) * 9;
    const std::vector<int> prompt = kvr::test::randomTokens(seed, length);
    kvr::GenerationOptions options;
    options.maxNewTokens = 16;
    options.ignoreEos = true;
    options.keepLogitsSteps = -1;

    const auto baselineCache = m.newCache();
    const kvr::GenerationResult baseline = kvr::generateGreedy(m, *baselineCache, prompt, options);
    QCOMPARE(baseline.outputIds.size(), size_t{16});
    QCOMPARE(baseline.reusedTokens, 0);

    // A "stored" cache of an earlier prompt that shares the first r tokens.
    for (int reuse : {1, length / 2, length - 1}) {
      std::vector<int> earlier(prompt.begin(), prompt.begin() + reuse);
      const std::vector<int> otherTail = kvr::test::randomTokens(seed + 100, 9);
      earlier.insert(earlier.end(), otherTail.begin(), otherTail.end());
      const auto stored = m.newCache();
      m.forward(*stored, earlier);

      const auto cache = m.newCache();
      cache->copyPrefixFrom(*stored, reuse);
      const kvr::GenerationResult recycled = kvr::generateGreedy(m, *cache, prompt, options);
      QCOMPARE(recycled.reusedTokens, reuse);
      QCOMPARE(recycled.outputIds, baseline.outputIds);
      const float diff =
          kvr::test::maxAbsDiff(recycled.stepLogits[0].data(), baseline.stepLogits[0].data(),
                                baseline.stepLogits[0].size());
      QVERIFY2(diff <= kTolerance, qPrintable(QString("first-step |logit diff| %1").arg(diff)));
    }
  }

  void chaoticModelOutputsDependOnPrompt() {
    // Guards the strength of the tests above: on this model the continuation is not a constant.
    const kvr::Model& m = model(1);
    kvr::GenerationOptions options;
    options.maxNewTokens = 8;
    options.ignoreEos = true;
    const auto a = m.newCache();
    const auto b = m.newCache();
    const auto outA = kvr::generateGreedy(m, *a, kvr::test::randomTokens(1, 12), options).outputIds;
    const auto outB = kvr::generateGreedy(m, *b, kvr::test::randomTokens(2, 12), options).outputIds;
    QVERIFY(outA != outB);
    QVERIFY(std::set<int>(outA.begin(), outA.end()).size() > 2);
  }

  void truncatedCacheIsReusable() {
    const kvr::Model& m = model(1);
    const std::vector<int> prompt = kvr::test::randomTokens(77, 30);
    kvr::GenerationOptions options;
    options.maxNewTokens = 10;
    options.ignoreEos = true;
    const auto cache = m.newCache();
    const auto first = kvr::generateGreedy(m, *cache, prompt, options);
    // The whole prompt was seen before: keep m - 1 tokens, recompute the last one.
    cache->truncate(static_cast<int>(prompt.size()) - 1);
    const auto again = kvr::generateGreedy(m, *cache, prompt, options);
    QCOMPARE(again.reusedTokens, 29);
    QCOMPARE(again.outputIds, first.outputIds);
  }

  void refusesCacheThatIsNotAProperPrefix() {
    const kvr::Model& m = model(0);
    const std::vector<int> prompt = kvr::test::randomTokens(5, 10);
    kvr::GenerationOptions options;
    options.maxNewTokens = 2;
    const auto whole = m.newCache();
    m.forward(*whole, prompt);
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::generateGreedy(m, *whole, prompt, options));
    const auto other = m.newCache();
    m.forward(*other, kvr::test::randomTokens(6, 4));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::generateGreedy(m, *other, prompt, options));
  }
};

QTEST_GUILESS_MAIN(TestExactness)
#include "test_exactness.moc"
