// The safetensors reader bounds-checks everything and names the file and tensor at fault.
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "test_support.h"

namespace {

QByteArray fileWithHeader(const QByteArray& json, const QByteArray& data) {
  QByteArray out(8, '\0');
  const quint64 n = static_cast<quint64>(json.size());
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + json + data;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::filesystem::path path(const char* name) { return dir_.filePath(name).toStdString(); }

  // Expects opening `bytes` as a file to fail with a message containing every `parts`.
  void expectError(const QByteArray& bytes, const QStringList& parts) {
    const auto p = path("broken.safetensors");
    kvr::test::writeBytes(p, bytes);
    try {
      kvr::SafetensorsFile file(p);
      QFAIL("a broken file was accepted");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(p.string())), e.what());
      for (const QString& part : parts) QVERIFY2(QString(e.what()).contains(part), e.what());
    }
  }

 private slots:
  void roundTripIsBitExact() {
    const std::vector<float> a = {1.5f, -2.25f, 3.0f, 1e-30f, -0.0f, 7.0f};
    const std::vector<int64_t> b = {1, -2, 1LL << 40};
    const auto p = path("round.safetensors");
    kvr::writeSafetensors(
        p, {{"a", kvr::DType::F32, {2, 3}, a.data()}, {"b", kvr::DType::I64, {3}, b.data()}},
        {{"format", "pt"}, {"note", "x"}});
    const kvr::SafetensorsFile file(p);
    QCOMPARE(file.header().tensors.size(), size_t{2});
    QCOMPARE(file.header().metadata.at("note"), std::string("x"));
    QCOMPARE(file.header().dataOffset % 8, uint64_t{0});
    const kvr::TensorInfo* ta = file.find("a");
    QVERIFY(ta != nullptr);
    QCOMPARE(ta->shape, (std::vector<int64_t>{2, 3}));
    QCOMPARE(std::memcmp(file.data(*ta), a.data(), a.size() * 4), 0);
    const kvr::TensorInfo* tb = file.find("b");
    QCOMPARE(std::memcmp(file.data(*tb), b.data(), b.size() * 8), 0);
    QVERIFY(file.find("c") == nullptr);
    // The atomic writer leaves no temporary file behind.
    QCOMPARE(QDir(dir_.path()).entryList(QDir::Files).filter(".tmp").size(), 0);
  }

  void rejectsTinyFile() { expectError("abc", {"too small"}); }

  void rejectsHeaderLargerThanFile() {
    QByteArray bytes = fileWithHeader("{}", "");
    bytes[5] = 0x01;  // header length ~ 2^40
    expectError(bytes, {"header length", "larger than the file"});
  }

  void rejectsInvalidJson() { expectError(fileWithHeader("{\"a\": [", ""), {"not valid JSON"}); }

  void rejectsTruncatedData() {
    const QByteArray json = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    expectError(fileWithHeader(json, QByteArray(8, '\0')), {"'w'", "truncated"});
  }

  void rejectsSizeMismatch() {
    const QByteArray json = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})";
    expectError(fileWithHeader(json, QByteArray(16, '\0')), {"'w'", "do not match"});
  }

  void rejectsUnsupportedDtype() {
    const QByteArray json = R"({"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})";
    expectError(fileWithHeader(json, QByteArray(1, '\0')), {"'w'", "unsupported dtype F8_E4M3"});
  }

  void rejectsNegativeShapeAndBadOffsets() {
    expectError(fileWithHeader(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                               QByteArray(4, '\0')),
                {"'w'", "shape"});
    expectError(fileWithHeader(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                               QByteArray(8, '\0')),
                {"'w'", "data_offsets"});
    expectError(fileWithHeader(R"({"w":{"dtype":"F32","shape":[1]}})", QByteArray(4, '\0')),
                {"'w'", "missing data_offsets"});
  }

  void rejectsHugeShapeProduct() {
    expectError(fileWithHeader(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                               R"("data_offsets":[0,4]}})",
                               QByteArray(4, '\0')),
                {"'w'", "too large"});
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
