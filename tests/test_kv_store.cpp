// The K/V store: bit-exact round trips, and refusal of foreign or corrupt files.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "test_support.h"

namespace fs = std::filesystem;

class TestKVStore : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::Model> model_;
  std::unique_ptr<kvr::KVStore> store_;
  std::vector<int> tokens_ = kvr::test::randomTokens(21, 40);
  std::string entry_;

  void expectLoadError(const kvr::Model& model, const QString& needle) {
    const auto cache = model.newCache();
    try {
      store_->loadPrefix(model, entry_, 10, *cache);
      QFAIL("a bad entry was loaded");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains(needle), e.what());
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(entry_)), e.what());
    }
    QCOMPARE(cache->length(), 0);  // nothing half-loaded
  }

 private slots:
  void initTestCase() {
    model_ = kvr::Model::load(kvr::test::tinyChaoticModel());
    store_ = std::make_unique<kvr::KVStore>(fs::path(tmp_.path().toStdString()) / "kv");
    const auto cache = model_->newCache();
    model_->forward(*cache, tokens_);
    const kvr::KVEntryInfo info = store_->save(*model_, *cache, "some text ü");
    entry_ = info.entryId;
    QCOMPARE(info.entryId, kvr::KVStore::entryIdFor(model_->fingerprint(), tokens_));
    QCOMPARE(info.tokenIds, tokens_);
    QVERIFY(info.bytes > 40 * cache->bytesPerPosition());
  }

  void headerCarriesMetadata() {
    const kvr::KVEntryInfo info = store_->inspect(entry_);
    QCOMPARE(info.modelFingerprint, model_->fingerprint());
    QCOMPARE(info.text, std::string("some text ü"));
    QCOMPARE(info.dtype, std::string("F32"));
    QVERIFY(QString::fromStdString(info.checksum).startsWith("xxh3-128:"));
    QVERIFY(!info.createdAt.empty());
    // Plain safetensors, one key and one value tensor per layer.
    const kvr::SafetensorsFile file(info.path);
    QVERIFY(file.find("layers.0.key") != nullptr);
    QCOMPARE(file.find("layers.1.value")->shape, (std::vector<int64_t>{2, 40, 32}));
  }

  void roundTripIsBitExact() {
    const auto loaded = model_->newCache();
    store_->loadPrefix(*model_, entry_, 40, *loaded);
    QCOMPARE(loaded->tokens(), tokens_);
    // Saving the loaded K/V again gives the same data section, checksum included.
    const QTemporaryDir other;
    const kvr::KVStore second(other.path().toStdString());
    QCOMPARE(second.save(*model_, *loaded, "some text ü").checksum,
             store_->inspect(entry_).checksum);
  }

  void loadedPrefixContinuesExactly() {
    const auto fresh = model_->newCache();
    const std::vector<float> reference = model_->forward(*fresh, tokens_, true);
    const auto loaded = model_->newCache();
    store_->loadPrefix(*model_, entry_, 25, *loaded);
    QCOMPARE(loaded->length(), 25);
    const std::vector<int> rest(tokens_.begin() + 25, tokens_.end());
    const std::vector<float> tail = model_->forward(*loaded, rest, true);
    const size_t vocab = static_cast<size_t>(model_->config().vocabSize);
    float worst = 0;
    for (size_t i = 0; i < tail.size(); ++i) {
      worst = std::max(worst, std::fabs(tail[i] - reference[25 * vocab + i]));
    }
    QVERIFY2(worst <= 1e-4f, qPrintable(QString::number(worst)));
  }

  void refusesOtherModel() {
    const auto other = kvr::Model::load(kvr::test::tinyModel());
    expectLoadError(*other, "made by model");
  }

  // Same weights read in bf16 give other K/V: an entry of the float32 model is
  // not reused under bf16 (nor the reverse: the ids differ too).
  void refusesSameWeightsInAnotherPrecision() {
    kvr::LoadOptions bf16;
    bf16.weightsDtype = kvr::WeightsDtype::BF16;
    const auto half = kvr::Model::load(kvr::test::tinyChaoticModel(), bf16);
    expectLoadError(*half, "made by model");
    QVERIFY(kvr::KVStore::entryIdFor(half->fingerprint(), tokens_) != entry_);
  }

  void refusesBadLengths() {
    const auto cache = model_->newCache();
    QVERIFY_THROWS_EXCEPTION(kvr::Error, store_->loadPrefix(*model_, entry_, 41, *cache));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, store_->loadPrefix(*model_, entry_, 0, *cache));
  }

  void detectsFlippedByte() {
    const fs::path path = store_->pathFor(entry_);
    const QByteArray original = kvr::test::readBytes(path);
    QByteArray bytes = original;
    bytes[bytes.size() - 100] = static_cast<char>(bytes[bytes.size() - 100] ^ 0x10);
    kvr::test::writeBytes(path, bytes);
    expectLoadError(*model_, "checksum mismatch");
    kvr::test::writeBytes(path, original.left(original.size() - 64));
    expectLoadError(*model_, "truncated");
    kvr::test::writeBytes(path, original);
    const auto cache = model_->newCache();
    store_->loadPrefix(*model_, entry_, 10, *cache);  // intact again
  }

  // Integrity is checked per block of positions, for the blocks a load reads:
  // damage past a short prefix does not stop it, a full load names the place.
  void verifiesOnlyTheBlocksItReads() {
    const QTemporaryDir dir;
    const kvr::KVStore store(dir.path().toStdString());
    const std::vector<int> tokens = kvr::test::randomTokens(5, 150);
    const auto cache = model_->newCache();
    model_->forward(*cache, tokens);
    const kvr::KVEntryInfo info = store.save(*model_, *cache, "long");
    QCOMPARE(info.formatVersion, 2);
    const kvr::SafetensorsFile file(info.path);
    const kvr::TensorInfo* values = file.find("layers.1.value");
    // Last layer's values, head 1, position 140 (the third block of 64).
    const uint64_t offset =
        file.header().dataOffset + values->begin + (1 * 150 + 140) * 32 * sizeof(float);
    QByteArray bytes = kvr::test::readBytes(info.path);
    bytes[static_cast<int>(offset)] = static_cast<char>(bytes[static_cast<int>(offset)] ^ 0x40);
    kvr::test::writeBytes(info.path, bytes);
    const auto shortLoad = model_->newCache();
    store.loadPrefix(*model_, info.entryId, 100, *shortLoad);  // blocks 0 and 1 only
    QCOMPARE(shortLoad->length(), 100);
    const auto fullLoad = model_->newCache();
    try {
      store.loadPrefix(*model_, info.entryId, 150, *fullLoad);
      QFAIL("a damaged block was loaded");
    } catch (const kvr::Error& e) {
      const QString what = e.what();
      QVERIFY2(what.contains("layer 1 values, head 1, positions 128-149"), qPrintable(what));
    }
    QCOMPARE(fullLoad->length(), 0);
  }

  // The fault switch, and why it is caught: positions never written are NaN,
  // also after reset() of a cache that held real K/V there.
  void unwrittenPositionsArePoisoned() {
    const auto cache = model_->newCache();
    model_->forward(*cache, tokens_);  // real K/V at every position of the entry
    cache->reset();
    qputenv("KVRECYCLE_FAULT", "skip-kv-copy");
    store_->loadPrefix(*model_, entry_, 30, *cache);
    qunsetenv("KVRECYCLE_FAULT");
    QCOMPARE(cache->length(), 30);  // the fault reports success
    const std::vector<int> rest(tokens_.begin() + 30, tokens_.end());
    const std::vector<float> logits = model_->forward(*cache, rest);
    QVERIFY(std::any_of(logits.begin(), logits.end(), [](float v) { return std::isnan(v); }));

    // Without the fault the same cache, reset, gives finite logits again.
    cache->reset();
    store_->loadPrefix(*model_, entry_, 30, *cache);
    const std::vector<float> good = model_->forward(*cache, rest);
    QVERIFY(std::all_of(good.begin(), good.end(), [](float v) { return std::isfinite(v); }));
  }

  void droppingThePageCacheIsReportedTruthfully() {
    const kvr::KVEntryInfo info = store_->inspect(entry_);
    (void)kvr::test::readBytes(info.path);  // resident now
    // On a disk-backed file the kernel drops clean pages; the store confirms it
    // with mincore() rather than assuming it.
    QVERIFY(store_->dropFromPageCache(entry_));
    QVERIFY(!store_->dropFromPageCache("missing"));
  }

  void refusesFilesThatAreNotEntries() {
    const std::vector<float> data(4, 1.f);
    const std::string id = "not-an-entry";
    kvr::writeSafetensors(store_->pathFor(id), {{"x", kvr::DType::F32, {4}, data.data()}}, {});
    QVERIFY_THROWS_EXCEPTION(kvr::Error, store_->inspect(id));
    QVERIFY(!store_->contains("missing"));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, store_->inspect("missing"));
  }
};

QTEST_GUILESS_MAIN(TestKVStore)
#include "test_kv_store.moc"
