// Loading real Hugging Face layouts, and a clear error for every broken file.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "kvrecycle/weights_convert.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const std::vector<int> kProbe = {15496, 11, 703, 389, 345, 30, 314, 716};

std::vector<float> probeLogits(const fs::path& dir, const kvr::LoadOptions& options = {}) {
  const auto model = kvr::Model::load(dir, options);
  const auto cache = model->newCache(64);
  return model->forward(*cache, kProbe, /*allLogits=*/true);
}

// Rewrites model.safetensors through `edit`, which may rename, drop or replace tensors.
void rewriteWeights(const fs::path& dir,
                    const std::function<void(std::vector<kvr::TensorToWrite>&)>& edit) {
  std::vector<char> copy;
  std::vector<kvr::TensorToWrite> tensors;
  {
    const kvr::SafetensorsFile file(dir / "model.safetensors");
    copy.assign(file.bytes(), file.bytes() + file.size());
    for (const auto& [name, info] : file.header().tensors) {
      tensors.push_back(
          {name, info.dtype, info.shape, copy.data() + file.header().dataOffset + info.begin});
    }
  }
  edit(tensors);
  kvr::writeSafetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
}

}  // namespace

class TestModelLoading : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  int counter_ = 0;

  fs::path freshCopy() {
    const fs::path dir = fs::path(tmp_.path().toStdString()) / ("m" + std::to_string(counter_++));
    kvr::test::copyModel(kvr::test::tinyModel(), dir);
    return dir;
  }

  void expectLoadError(const fs::path& dir, const QStringList& parts) {
    try {
      kvr::Model::load(dir);
      QFAIL("a broken model loaded");
    } catch (const kvr::Error& e) {
      for (const QString& part : parts) QVERIFY2(QString(e.what()).contains(part), e.what());
    }
  }

 private slots:
  void loadsTinyModel() {
    const auto model = kvr::Model::load(kvr::test::tinyModel());
    const kvr::ModelConfig& c = model->config();
    QCOMPARE(c.nLayer, 2);
    QCOMPARE(c.nEmbd, 64);
    QCOMPARE(c.nHead, 2);
    QCOMPARE(c.nPositions, 1024);
    QCOMPARE(c.vocabSize, 50257);
    QVERIFY(c.synthetic);
    QCOMPARE(model->fingerprint().size(), size_t{32});
    QCOMPARE(model->deviceName(), std::string("cpu"));
    QCOMPARE(model->newCache()->capacity(), 1024);
    QCOMPARE(model->newCache()->bytesPerPosition(), int64_t{2 * 2 * 64 * 4});
  }

  void pytorchBinGivesIdenticalLogits() {
    const fs::path dir = freshCopy();
    kvr::convertWeights(dir / "model.safetensors", dir / "pytorch_model.bin");
    fs::remove(dir / "model.safetensors");
    const auto model = kvr::Model::load(dir);
    QCOMPARE(model->weightsFile().filename().string(), std::string("pytorch_model.bin"));
    QCOMPARE(probeLogits(dir), probeLogits(kvr::test::tinyModel()));
  }

  void acceptsNamesWithoutPrefixAndExplicitLmHead() {
    const fs::path dir = freshCopy();
    rewriteWeights(dir, [](std::vector<kvr::TensorToWrite>& tensors) {
      for (auto& t : tensors) t.name = t.name.substr(std::string("transformer.").size());
      for (const auto& t : std::vector<kvr::TensorToWrite>(tensors)) {
        if (t.name == "wte.weight") tensors.push_back({"lm_head.weight", t.dtype, t.shape, t.data});
      }
    });
    QCOMPARE(probeLogits(dir), probeLogits(kvr::test::tinyModel()));
  }

  void fingerprintFollowsWeights() {
    const fs::path dir = freshCopy();
    const std::string original = kvr::Model::load(dir)->fingerprint();
    QCOMPARE(kvr::Model::load(kvr::test::tinyModel())->fingerprint(), original);
    QByteArray bytes = kvr::test::readBytes(dir / "model.safetensors");
    bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x01);
    kvr::test::writeBytes(dir / "model.safetensors", bytes);
    QVERIFY(kvr::Model::load(dir)->fingerprint() != original);
  }

  void resolvesHubCacheLayout() {
    const fs::path cache = fs::path(tmp_.path().toStdString()) / "models--microsoft--DialoGPT-tiny";
    const fs::path blobs = cache / "blobs";
    fs::create_directories(blobs);
    for (const char* hash : {"aaaa", "bbbb"}) fs::create_directories(cache / "snapshots" / hash);
    for (const auto& entry : fs::directory_iterator(kvr::test::tinyModel())) {
      const fs::path blob = blobs / entry.path().filename();
      fs::copy_file(entry.path(), blob);
      fs::create_symlink(fs::path("../../blobs") / entry.path().filename(),
                         cache / "snapshots" / "bbbb" / entry.path().filename());
    }
    fs::create_directories(cache / "refs");
    kvr::test::writeBytes(cache / "refs" / "main", "bbbb");
    const auto model = kvr::Model::load(cache);
    QCOMPARE(model->directory(), cache / "snapshots" / "bbbb");
    fs::remove(cache / "refs" / "main");  // without refs/main: the newest snapshot with a config
    QCOMPARE(kvr::Model::load(cache)->directory(), cache / "snapshots" / "bbbb");
  }

  void usesFallbackTokenizer() {
    const fs::path dir = freshCopy();
    const fs::path tokenizer = fs::path(tmp_.path().toStdString()) / "tok";
    fs::create_directories(tokenizer);
    fs::rename(dir / "vocab.json", tokenizer / "vocab.json");
    fs::rename(dir / "merges.txt", tokenizer / "merges.txt");
    kvr::LoadOptions options;
    options.tokenizerDirectory = tokenizer;
    QCOMPARE(kvr::Model::load(dir, options)->tokenizer().encode("Hello world"),
             (std::vector<int>{15496, 995}));
  }

  void reportsMissingFiles() {
    fs::path dir = freshCopy();
    fs::remove(dir / "config.json");
    expectLoadError(dir, {"config.json", "missing"});
    dir = freshCopy();
    fs::remove(dir / "model.safetensors");
    expectLoadError(dir, {"no weights", "model.safetensors"});
    expectLoadError(fs::path(tmp_.path().toStdString()) / "nope", {"nope", "no such model"});
  }

  void reportsBrokenConfig_data() {
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QString>("message");
    QTest::newRow("not json") << QByteArray("{\"n_layer\": 2,") << "invalid JSON";
    QTest::newRow("missing n_layer")
        << QByteArray(R"({"n_embd":64,"n_head":2,"n_positions":1024,"vocab_size":50257})")
        << "missing field 'n_layer'";
    QTest::newRow("heads do not divide")
        << QByteArray(
               R"({"n_layer":2,"n_embd":64,"n_head":3,"n_positions":1024,"vocab_size":50257})")
        << "not divisible";
    QTest::newRow("other architecture")
        << QByteArray(R"({"model_type":"llama","n_layer":2})") << "model_type 'llama'";
    QTest::newRow("unknown activation")
        << QByteArray(R"({"n_layer":2,"n_embd":64,"n_head":2,"n_positions":1024,)"
                      R"("vocab_size":50257,"activation_function":"swish"})")
        << "activation_function";
  }
  void reportsBrokenConfig() {
    QFETCH(QByteArray, config);
    QFETCH(QString, message);
    const fs::path dir = freshCopy();
    kvr::test::writeBytes(dir / "config.json", config);
    expectLoadError(dir, {"config.json", message});
  }

  void reportsMissingTensor() {
    const fs::path dir = freshCopy();
    rewriteWeights(dir, [](std::vector<kvr::TensorToWrite>& tensors) {
      tensors.erase(
          std::remove_if(tensors.begin(), tensors.end(),
                         [](const auto& t) { return t.name == "transformer.h.1.mlp.c_fc.bias"; }),
          tensors.end());
    });
    expectLoadError(dir, {"model.safetensors", "h.1.mlp.c_fc.bias", "missing"});
  }

  void reportsWrongShapeAndDtype() {
    fs::path dir = freshCopy();
    rewriteWeights(dir, [](std::vector<kvr::TensorToWrite>& tensors) {
      for (auto& t : tensors) {
        if (t.name == "transformer.ln_f.weight") t.shape = {32, 2};
      }
    });
    expectLoadError(dir, {"model.safetensors", "ln_f.weight", "shape [32, 2], expected [64]"});
    dir = freshCopy();
    rewriteWeights(dir, [](std::vector<kvr::TensorToWrite>& tensors) {
      for (auto& t : tensors) {
        if (t.name == "transformer.ln_f.bias") t.dtype = kvr::DType::I32;
      }
    });
    expectLoadError(dir, {"model.safetensors", "ln_f.bias", "dtype I32"});
  }

  void reportsTruncatedAndOversizedFiles() {
    fs::path dir = freshCopy();
    QByteArray bytes = kvr::test::readBytes(dir / "model.safetensors");
    kvr::test::writeBytes(dir / "model.safetensors", bytes.left(bytes.size() - 1000));
    expectLoadError(dir, {"model.safetensors", "truncated"});
    bytes[6] = 0x10;  // header length far beyond the file size
    kvr::test::writeBytes(dir / "model.safetensors", bytes);
    expectLoadError(dir, {"model.safetensors", "larger than the file"});

    dir = freshCopy();
    kvr::convertWeights(dir / "model.safetensors", dir / "pytorch_model.bin");
    fs::remove(dir / "model.safetensors");
    bytes = kvr::test::readBytes(dir / "pytorch_model.bin");
    kvr::test::writeBytes(dir / "pytorch_model.bin", bytes.left(bytes.size() / 2));
    expectLoadError(dir, {"pytorch_model.bin", "truncated"});
  }

  void refusesUnavailableCuda() {
    kvr::LoadOptions options;
    options.device = kvr::DevicePreference::Cuda;
    try {
      const auto model = kvr::Model::load(kvr::test::tinyModel(), options);
      QCOMPARE(model->onCuda(), true);  // only reached on a CUDA build with a GPU
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains("cuda"), e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestModelLoading)
#include "test_model_loading.moc"
