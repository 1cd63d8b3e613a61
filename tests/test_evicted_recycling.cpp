// Eviction with recycling (issue 12 item 4): a prefix stored after a method's
// eviction keeps only its live entries, and a prompt that loads it attends to
// exactly those, as if it had computed the prefix and evicted the same ones.
#include "model/model_impl.h"  // before QtTest: torch and Qt macros

#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>

#include "eviction/evicted_prefix.h"
#include "kvrecycle/error.h"
#include "kvrecycle/eviction.h"
#include "model/attention_hooks.h"
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

std::vector<int> firstTokens(const std::vector<int>& tokens, int n) {
  return {tokens.begin(), tokens.begin() + n};
}

}  // namespace

class TestEvictedRecycling : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::Model> model_;
  const std::vector<int> prompt_ = kvr::test::randomTokens(11, 40);
  static constexpr int kPrefix = 25, kNew = 8;

 private slots:
  void initTestCase() { model_ = kvr::Model::load(kvr::test::tinyChaoticModel()); }

  // Without eviction the stored prefix is the ordinary recycled one: token-identical.
  void fullPrefixRecyclesExactly() {
    const kvr::EvictedPrefix full = kvr::captureEvictedPrefix(
        *model_, firstTokens(prompt_, kPrefix), settings(EvictionMethod::Full, 0));
    const kvr::EvictedPass recycled =
        kvr::generateFromEvictedPrefix(*model_, full, kPrefix, prompt_, kNew);
    const kvr::EvictedPass baseline =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Full, 0), kNew, true);
    QCOMPARE(recycled.outputIds, baseline.outputIds);
    for (size_t v = 0; v < baseline.stepLogits[0].size(); ++v) {
      QVERIFY(std::fabs(recycled.stepLogits[0][v] - baseline.stepLogits[0][v]) <= 1e-4f);
    }
  }

  // window keeps 4 sinks and the latest 6 of 25: what is stored and loaded, by hand.
  void windowPrefixStoresOnlyItsEntries() {
    EvictionSettings window = settings(EvictionMethod::Window, 10);
    window.sinks = 4;
    const kvr::EvictedPrefix kept =
        kvr::captureEvictedPrefix(*model_, firstTokens(prompt_, kPrefix), window);
    const kvr::ModelConfig& c = model_->config();
    const int64_t rows = static_cast<int64_t>(c.nLayer) * c.nHead;
    for (int64_t r = 0; r < rows; ++r) {
      for (int p = 0; p < kPrefix; ++p) {
        QCOMPARE(int(kept.live[static_cast<size_t>(r * kPrefix + p)]), (p < 4 || p >= 19) ? 1 : 0);
      }
    }
    const int64_t entryBytes = 2 * c.headDim() * 4;  // K and V, fp32
    QCOMPARE(static_cast<int64_t>(kept.keys.size()), rows * 10 * c.headDim());
    QCOMPARE(kept.liveEntries(kPrefix), rows * 10);
    QCOMPARE(kept.loadBytes(kPrefix), rows * 10 * entryBytes + rows * kPrefix);
    QCOMPARE(kept.fullBytes(kPrefix), rows * kPrefix * entryBytes);
    QCOMPARE(kept.liveEntries(21), rows * (4 + 2));  // a prompt reusing 21 positions
  }

  // The oracle: compute the whole prefix, mask the positions the method
  // evicted, run the suffix. Loading the stored prefix gives the same bits.
  void loadingEqualsMaskingAComputedPrefix() {
    const EvictionSettings snap = settings(EvictionMethod::Snap, 8);
    const kvr::EvictedPrefix kept =
        kvr::captureEvictedPrefix(*model_, firstTokens(prompt_, kPrefix), snap);
    const kvr::EvictedPass recycled =
        kvr::generateFromEvictedPrefix(*model_, kept, kPrefix, prompt_, 2);

    const kvr::ModelConfig& c = model_->config();
    auto cache = model_->newCache(static_cast<int>(prompt_.size()) + 2);
    kvr::KVCache::Impl& impl = kvr::EngineAccess::of(*cache);
    model_->forward(*cache, firstTokens(prompt_, kPrefix));
    kvr::KeyMask mask(c.nLayer, c.nHead, cache->capacity());
    for (int l = 0; l < c.nLayer; ++l) {
      for (int h = 0; h < c.nHead; ++h) {
        std::memcpy(mask.row(l, h), kept.live.data() + (l * c.nHead + h) * kPrefix, kPrefix);
      }
    }
    impl.keyMask = &mask;
    const std::vector<float> first =
        model_->forward(*cache, std::vector<int>(prompt_.begin() + kPrefix, prompt_.end()));
    impl.keyMask = nullptr;
    QCOMPARE(first.size(), recycled.stepLogits[0].size());
    QVERIFY(std::memcmp(first.data(), recycled.stepLogits[0].data(),
                        first.size() * sizeof(float)) == 0);
    // And the evicted entries mattered: the chaotic model feels every one.
    const kvr::EvictedPass baseline =
        kvr::generateEvicted(*model_, prompt_, settings(EvictionMethod::Full, 0), 2, true);
    QVERIFY(std::memcmp(first.data(), baseline.stepLogits[0].data(),
                        first.size() * sizeof(float)) != 0);
  }

  void fileRoundTripsAndRefusesDamage() {
    const EvictionSettings heavy = settings(EvictionMethod::Heavy, 12);
    const kvr::EvictedPrefix kept =
        kvr::captureEvictedPrefix(*model_, firstTokens(prompt_, kPrefix), heavy);
    const std::filesystem::path file = tmp_.filePath("prefix.safetensors").toStdString();
    kvr::writeEvictedPrefix(file, kept, *model_, heavy);
    const kvr::EvictedPrefix back = kvr::readEvictedPrefix(file, *model_);
    QCOMPARE(back.tokens, kept.tokens);
    QCOMPARE(back.live, kept.live);
    QCOMPARE(back.keys, kept.keys);
    QCOMPARE(back.values, kept.values);

    const auto other = kvr::Model::load(kvr::test::tinyModel());
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::readEvictedPrefix(file, *other));
    {  // one flipped bit in the last value
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(-1, std::ios::end);
      const char last = static_cast<char>(f.get());
      f.seekp(-1, std::ios::end);
      f.put(static_cast<char>(last ^ 0x01));
    }
    try {
      kvr::readEvictedPrefix(file, *model_);
      QFAIL("a damaged prefix was read");
    } catch (const kvr::Error& e) {
      QVERIFY2(std::string(e.what()).find("checksum") != std::string::npos, e.what());
      QVERIFY(std::string(e.what()).find(file.string()) != std::string::npos);
    }
  }

  void promptMustStartWithTheReusedTokens() {
    const kvr::EvictedPrefix full = kvr::captureEvictedPrefix(
        *model_, firstTokens(prompt_, kPrefix), settings(EvictionMethod::Full, 0));
    std::vector<int> other = prompt_;
    other[3] = (other[3] + 1) % model_->config().vocabSize;
    QVERIFY_THROWS_EXCEPTION(kvr::Error,
                             kvr::generateFromEvictedPrefix(*model_, full, kPrefix, other, 2));
    QVERIFY_THROWS_EXCEPTION(
        kvr::Error, kvr::generateFromEvictedPrefix(*model_, full, kPrefix + 1, prompt_, 2));
  }
};

QTEST_GUILESS_MAIN(TestEvictedRecycling)
#include "test_evicted_recycling.moc"
