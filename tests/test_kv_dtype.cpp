// Entries stored in fp16, bf16 and int8: sizes against fp32, the stored values
// checked by an independent decoder against the fp32 entry's, prefix loads,
// and corrupt data or scales refused.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>

#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_dtype.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

float halfToFloat(uint16_t h) {
  const int sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float v = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -24)
                          : std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -v : v;
}

float bf16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

template <typename T>
T at(const uint8_t* data, size_t i) {
  T v{};
  std::memcpy(&v, data + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

class TestKvDtype : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::Model> model_;
  std::vector<int> tokens_;
  std::unique_ptr<kvr::KVStore> store_;
  kvr::KVEntryInfo fp32_;

  kvr::KVEntryInfo save(kvr::KVDtype dtype) {
    auto cache = model_->newCache(static_cast<int>(tokens_.size()));
    model_->forward(*cache, tokens_);
    return store_->save(*model_, *cache, "text", dtype);
  }

  // The logits of one more token after loading `length` positions of an entry.
  std::vector<float> nextLogits(const std::string& entryId, int length) {
    auto cache = model_->newCache(length + 1);
    store_->loadPrefix(*model_, entryId, length, *cache);
    return model_->forward(*cache, {tokens_[static_cast<size_t>(length)]});
  }

 private slots:
  void initTestCase() {
    model_ = kvr::Model::load(kvr::test::tinyChaoticModel());
    tokens_ = kvr::test::randomTokens(5, 200);
    store_ = std::make_unique<kvr::KVStore>(fs::path(tmp_.path().toStdString()) / "kv");
    fp32_ = save(kvr::KVDtype::F32);
  }

  void namesRoundTrip() {
    for (const std::string& name : kvr::kvDtypeNames()) {
      QCOMPARE(std::string(kvr::kvDtypeName(kvr::parseKVDtype(name))), name);
    }
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseKVDtype("fp8"));
  }

  void sizesShrink() {
    const double fp16 = static_cast<double>(save(kvr::KVDtype::F16).bytes) / fp32_.bytes;
    const double bf16 = static_cast<double>(save(kvr::KVDtype::BF16).bytes) / fp32_.bytes;
    const double int8 = static_cast<double>(save(kvr::KVDtype::Int8).bytes) / fp32_.bytes;
    qInfo("bytes vs fp32: fp16 %.3f, bf16 %.3f, int8 %.3f", fp16, bf16, int8);
    QVERIFY(fp16 > 0.45 && fp16 < 0.55);
    QVERIFY(bf16 > 0.45 && bf16 < 0.55);
    // A quarter plus one fp32 scale per head vector (head dim 32: +1/32 of fp32).
    QVERIFY(int8 > 0.25 && int8 < 0.33);
    // Different precisions are different entries.
    QVERIFY(kvr::KVStore::entryIdFor(model_->fingerprint(), tokens_, kvr::KVDtype::F16) !=
            fp32_.entryId);
    QCOMPARE(kvr::KVStore::entryIdFor(model_->fingerprint(), tokens_, kvr::KVDtype::F32),
             fp32_.entryId);
  }

  void storedValuesDecodeIndependently() {
    const kvr::SafetensorsFile reference(fp32_.path);
    for (const auto dtype : {kvr::KVDtype::F16, kvr::KVDtype::BF16, kvr::KVDtype::Int8}) {
      const kvr::KVEntryInfo info = save(dtype);
      QCOMPARE(info.dtype, std::string(kvr::kvDtypeStorageName(dtype)));
      const kvr::SafetensorsFile file(info.path);
      for (const char* name : {"layers.1.key", "layers.0.value"}) {
        const kvr::TensorInfo* want = reference.find(name);
        const kvr::TensorInfo* got = file.find(name);
        QVERIFY(want != nullptr && got != nullptr);
        QCOMPARE(got->shape, want->shape);
        const int64_t heads = want->shape[0], positions = want->shape[1], dim = want->shape[2];
        const kvr::TensorInfo* scales = file.find(std::string(name) + "_scale");
        QCOMPARE(scales != nullptr, dtype == kvr::KVDtype::Int8);
        for (int64_t row = 0; row < heads * positions; ++row) {
          float maxAbs = 0;
          for (int64_t d = 0; d < dim; ++d) {
            maxAbs = std::max(maxAbs, std::fabs(at<float>(reference.data(*want),
                                                          static_cast<size_t>(row * dim + d))));
          }
          for (int64_t d = 0; d < dim; ++d) {
            const size_t i = static_cast<size_t>(row * dim + d);
            const float x = at<float>(reference.data(*want), i);
            if (dtype == kvr::KVDtype::Int8) {
              const float scale = at<float>(file.data(*scales), static_cast<size_t>(row));
              QVERIFY(std::fabs(scale - maxAbs / 127.0f) <= 1e-6f * maxAbs + 1e-30f);
              const float y = static_cast<float>(at<int8_t>(file.data(*got), i)) * scale;
              QVERIFY(std::fabs(y - x) <= scale * 0.5f + 1e-6f * maxAbs);
            } else if (dtype == kvr::KVDtype::F16) {
              const float y = halfToFloat(at<uint16_t>(file.data(*got), i));
              QVERIFY(std::fabs(y - x) <= std::fabs(x) * 0x1p-11f + 0x1p-24f);
            } else {
              const float y = bf16ToFloat(at<uint16_t>(file.data(*got), i));
              QVERIFY(std::fabs(y - x) <= std::fabs(x) * 0x1p-8f);
            }
          }
        }
      }
    }
  }

  void prefixLoadsDequantiseTheSamePositions() {
    for (const auto dtype : {kvr::KVDtype::F16, kvr::KVDtype::BF16, kvr::KVDtype::Int8}) {
      const kvr::KVEntryInfo info = save(dtype);
      // 70 of 200 positions: the same logits as loading all and keeping 70.
      const std::vector<float> prefix = nextLogits(info.entryId, 70);
      auto cache = model_->newCache(201);
      store_->loadPrefix(*model_, info.entryId, 200, *cache);
      cache->truncate(70);
      QCOMPARE(model_->forward(*cache, {tokens_[70]}), prefix);
      // And close to fp32's (not necessarily equal: that is the fidelity a run reports).
      const std::vector<float> exact = nextLogits(fp32_.entryId, 70);
      double worst = 0;
      for (size_t i = 0; i < exact.size(); ++i)
        worst = std::max(worst, double(std::fabs(exact[i] - prefix[i])));
      QVERIFY2(worst < 0.5, std::to_string(worst).c_str());
      QVERIFY(worst > 0);  // it was really quantised
    }
  }

  void corruptDataOrScalesAreRefused() {
    const kvr::KVEntryInfo info = save(kvr::KVDtype::Int8);
    const QByteArray original = kvr::test::readBytes(info.path);
    uint64_t scaleAt = 0, dataAt = 0;
    {
      const kvr::SafetensorsFile file(info.path);
      scaleAt = file.header().dataOffset + file.find("layers.0.key_scale")->begin + 8;
      dataAt = file.header().dataOffset + file.find("layers.1.value")->begin + 5;
    }
    for (const auto& [offset, message] :
         {std::pair<uint64_t, std::string>{scaleAt, "scales"}, {dataAt, "layer 1 values"}}) {
      QByteArray bytes = original;
      bytes[static_cast<int>(offset)] = static_cast<char>(bytes[static_cast<int>(offset)] ^ 0x5a);
      kvr::test::writeBytes(info.path, bytes);
      auto cache = model_->newCache(200);
      try {
        store_->loadPrefix(*model_, info.entryId, 200, *cache);
        QFAIL("a corrupt int8 entry was loaded");
      } catch (const kvr::Error& e) {
        QVERIFY2(std::string(e.what()).find(message) != std::string::npos, e.what());
        QVERIFY(std::string(e.what()).find(info.path.string()) != std::string::npos);
      }
    }
    kvr::test::writeBytes(info.path, original);
  }
};

QTEST_GUILESS_MAIN(TestKvDtype)
#include "test_kv_dtype.moc"
