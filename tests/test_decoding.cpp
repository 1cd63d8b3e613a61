// Greedy decoding: deterministic, equal to recomputing the whole sequence,
// stops where it should, and refuses requests that cannot fit.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kvrecycle/error.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/model.h"
#include "test_support.h"

class TestDecoding : public QObject {
  Q_OBJECT
  std::unique_ptr<kvr::Model> model_;

  kvr::GenerationResult generate(const kvr::Model& m, const std::vector<int>& prompt, int n,
                                 bool ignoreEos = true, const std::atomic<bool>* cancel = nullptr) {
    kvr::GenerationOptions options;
    options.maxNewTokens = n;
    options.ignoreEos = ignoreEos;
    options.keepLogitsSteps = -1;
    options.cancel = cancel;
    const auto cache = m.newCache();
    return kvr::generateGreedy(m, *cache, prompt, options);
  }

 private slots:
  void initTestCase() { model_ = kvr::Model::load(kvr::test::tinyChaoticModel()); }

  void isDeterministic() {
    const auto prompt = kvr::test::randomTokens(3, 25);
    const auto a = generate(*model_, prompt, 12);
    const auto b = generate(*model_, prompt, 12);
    QCOMPARE(a.outputIds, b.outputIds);
    QCOMPARE(a.stepLogits, b.stepLogits);
  }

  void incrementalDecodingMatchesRecomputation() {
    const auto prompt = kvr::test::randomTokens(4, 17);
    const int n = 14;
    const auto result = generate(*model_, prompt, n);
    QCOMPARE(static_cast<int>(result.outputIds.size()), n);

    std::vector<int> sequence = prompt;
    sequence.insert(sequence.end(), result.outputIds.begin(), result.outputIds.end() - 1);
    const auto cache = model_->newCache();
    const std::vector<float> all = model_->forward(*cache, sequence, true);
    const size_t vocab = static_cast<size_t>(model_->config().vocabSize);
    float worst = 0;
    for (int step = 0; step < n; ++step) {
      const float* row = all.data() + (prompt.size() - 1 + step) * vocab;
      const int argmax = static_cast<int>(std::max_element(row, row + vocab) - row);
      QCOMPARE(argmax, result.outputIds[step]);
      for (size_t v = 0; v < vocab; ++v) {
        worst = std::max(worst, std::fabs(row[v] - result.stepLogits[step][v]));
      }
    }
    QVERIFY2(worst <= 1e-4f, qPrintable(QString("max |logit diff| %1").arg(worst)));
  }

  void stopsAtEndOfTextUnlessIgnored() {
    // Make the model's end-of-text id one of the tokens it will produce.
    const auto prompt = kvr::test::randomTokens(8, 10);
    const auto free = generate(*model_, prompt, 10);
    const int stopToken = free.outputIds[3];
    const size_t stopAt =
        static_cast<size_t>(std::find(free.outputIds.begin(), free.outputIds.end(), stopToken) -
                            free.outputIds.begin());

    QTemporaryDir dir;
    const std::filesystem::path copy = dir.path().toStdString();
    kvr::test::copyModel(kvr::test::tinyChaoticModel(), copy);
    nlohmann::json config = nlohmann::json::parse(std::ifstream(copy / "config.json"));
    config["eos_token_id"] = stopToken;
    std::ofstream(copy / "config.json") << config.dump();
    const auto eosModel = kvr::Model::load(copy);

    const auto stopped = generate(*eosModel, prompt, 10, /*ignoreEos=*/false);
    QVERIFY(stopped.stoppedAtEos);
    QCOMPARE(stopped.outputIds.size(), stopAt + 1);
    QCOMPARE(stopped.outputIds.back(), stopToken);
    const auto ignored = generate(*eosModel, prompt, 10, /*ignoreEos=*/true);
    QVERIFY(!ignored.stoppedAtEos);
    QCOMPARE(ignored.outputIds, free.outputIds);
  }

  void cancellationStopsBetweenSteps() {
    std::atomic<bool> cancel{true};
    const auto result = generate(*model_, kvr::test::randomTokens(9, 8), 20, true, &cancel);
    QVERIFY(result.cancelled);
    QCOMPARE(result.outputIds.size(), size_t{1});
  }

  void refusesWhatCannotFit() {
    try {
      generate(*model_, kvr::test::randomTokens(1, 1020), 10);
      QFAIL("a prompt beyond the context was accepted");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains("exceeds the context of 1024"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(kvr::Error, generate(*model_, {}, 4));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, generate(*model_, {1, 2, 50257}, 4));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, generate(*model_, {1, 2}, 0));
    // Exactly filling the context is fine: the last token needs no forward pass.
    QCOMPARE(generate(*model_, kvr::test::randomTokens(2, 1014), 10).outputIds.size(), size_t{10});
  }

  void timingsArePositive() {
    const auto result = generate(*model_, kvr::test::randomTokens(5, 40), 6);
    QVERIFY(result.prefillSeconds > 0);
    QVERIFY(result.decodeSeconds > 0);
  }
};

QTEST_GUILESS_MAIN(TestDecoding)
#include "test_decoding.moc"
