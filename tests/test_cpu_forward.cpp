// The torch-free CPU forward: its vector kernels against the portable ones,
// its thread pool's split of work, and its logits against the torch forward
// on the same weights, for a decode step, a short suffix (attention query by
// query) and a long prefill (attention as GEMMs).
#include <ATen/ATen.h>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>

#include "model/cpu/kernels.h"
#include "model/cpu/worker_pool.h"
#include "model/model_impl.h"
#include "test_support.h"

namespace {

std::vector<float> randomFloats(size_t n, unsigned seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

float maxRelativeDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0.f;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1.f, std::abs(b[i])));
  }
  return worst;
}

}  // namespace

class TestCpuForward : public QObject {
  Q_OBJECT

 private slots:
  void vectorKernelsMatchPortableOnes_data() {
    QTest::addColumn<QString>("set");
    QTest::newRow("avx2") << "avx2";
    QTest::newRow("avx512") << "avx512";
  }

  void vectorKernelsMatchPortableOnes() {
    QFETCH(QString, set);
    const kvr::cpu::Kernels* fast =
        set == "avx2" ? kvr::cpu::avx2Kernels() : kvr::cpu::avx512Kernels();
    if (fast == nullptr) QSKIP("this CPU lacks the instruction set");
    const kvr::cpu::Kernels& plain = kvr::cpu::genericKernels();
    // Odd shapes reach every tail: rows not a multiple of 4, columns of 16 or 8.
    for (const int cols : {7, 37, 64, 80, 773}) {  // 80: AVX-512's steps of 32 and a 16
      const int rows = 17;  // from row 2: blocks of 8 and 4 (AVX-512), and 3 single rows
      const auto w = randomFloats(static_cast<size_t>(rows) * cols, 1);
      const auto x = randomFloats(static_cast<size_t>(cols), 2);
      const auto bias = randomFloats(static_cast<size_t>(rows), 3);
      for (const bool accumulate : {false, true}) {
        for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
          std::vector<float> y1 = randomFloats(rows, 4), y2 = y1;
          fast->gemvRows(w.data(), x.data(), b, y1.data(), cols, 2, rows, accumulate);
          plain.gemvRows(w.data(), x.data(), b, y2.data(), cols, 2, rows, accumulate);
          QVERIFY2(maxRelativeDiff(y1, y2) < 1e-5f, qPrintable(QString("cols %1").arg(cols)));
          QCOMPARE(y1[0], y2[0]);  // rows before r0 untouched
        }
        // Seven tokens at once (blocks of four, two and one), output stride 19.
        const int tokens = 7, ldy = 19;
        const auto xs = randomFloats(static_cast<size_t>(tokens) * cols, 7);
        std::vector<float> z1 = randomFloats(static_cast<size_t>(tokens) * ldy, 8), z2 = z1;
        fast->gemmRows(w.data(), xs.data(), tokens, bias.data(), z1.data(), ldy, cols, 2, rows,
                       accumulate);
        plain.gemmRows(w.data(), xs.data(), tokens, bias.data(), z2.data(), ldy, cols, 2, rows,
                       accumulate);
        QVERIFY2(maxRelativeDiff(z1, z2) < 1e-5f, qPrintable(QString("gemm cols %1").arg(cols)));
      }
    }
    for (const int dim : {20, 64, 96}) {
      const int count = 23;
      const auto q = randomFloats(static_cast<size_t>(dim), 5);
      const auto keys = randomFloats(static_cast<size_t>(count) * dim, 6);
      std::vector<float> s1(count), s2(count);
      fast->scores(q.data(), keys.data(), count, dim, 0.125f, s1.data());
      plain.scores(q.data(), keys.data(), count, dim, 0.125f, s2.data());
      QVERIFY(maxRelativeDiff(s1, s2) < 1e-5f);
      std::vector<float> o1(dim), o2(dim);
      fast->weightedSum(s1.data(), keys.data(), count, dim, o1.data());
      plain.weightedSum(s1.data(), keys.data(), count, dim, o2.data());
      QVERIFY(maxRelativeDiff(o1, o2) < 1e-5f);
    }
  }

  void vectorExpIsAccurateAndKeepsSpecialValues() {
    const kvr::cpu::Kernels* fast = kvr::cpu::avx2Kernels();
    if (fast == nullptr) QSKIP("this CPU has no AVX2 + FMA");
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> x;
    for (float v = -86.f; v < 88.f; v += 0.37f) x.push_back(v);
    const size_t finite = x.size();
    x.insert(x.end(), {-inf, inf, -200.f, 200.f, std::numeric_limits<float>::quiet_NaN()});
    std::vector<float> e = x;
    fast->exp(e.data(), static_cast<int>(e.size()));
    for (size_t i = 0; i < finite; ++i) {
      const double want = std::exp(static_cast<double>(x[i]));
      QVERIFY2(std::abs(e[i] - want) <= 4e-7 * want, qPrintable(QString::number(x[i])));
    }
    QCOMPARE(e[finite], 0.f);
    QCOMPARE(e[finite + 1], inf);
    QCOMPARE(e[finite + 2], 0.f);
    QCOMPARE(e[finite + 3], inf);
    QVERIFY(std::isnan(e[finite + 4]));
  }

  void poolRunsEveryPartOnceAndSplitsWithoutGaps() {
    kvr::cpu::WorkerPool pool(3);
    std::vector<std::atomic<int>> hits(100);
    std::atomic<bool> aligned{true};
    for (int round = 0; round < 50; ++round) {
      pool.run([&](int part, int parts) {
        int begin = 0, end = 0;
        kvr::cpu::partRange(100, part, parts, 16, begin, end);
        if (begin % 16 != 0 && begin != 100) aligned = false;
        for (int i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
      });
    }
    QVERIFY(aligned);
    for (const auto& h : hits) QCOMPARE(h.load(), 50);
    // A job started from inside a job runs inline instead of waiting forever.
    std::atomic<int> inner{0};
    pool.run([&](int, int) { pool.run([&](int, int) { inner++; }); });
    QCOMPARE(inner.load(), 9);
  }

  // The CPU forward against the torch forward (the CUDA path, which also runs
  // on the CPU) over the same re-laid-out weights, one cache each.
  void cpuForwardMatchesTorchForward() {
    const auto model = kvr::Model::load(kvr::test::tinyChaoticModel());
    const kvr::Model::Impl& impl = kvr::EngineAccess::of(*model);
    const auto cpuCache = model->newCache(), torchCache = model->newCache();
    kvr::KVCache::Impl& cpu = kvr::EngineAccess::of(*cpuCache);
    kvr::KVCache::Impl& torch = kvr::EngineAccess::of(*torchCache);
    const int vocab = model->config().vocabSize;
    const std::vector<int> tokens = kvr::test::randomTokens(3, 200);
    // A long prefill (GEMM attention), a short suffix (query by query), decode steps.
    const std::vector<std::pair<int, int>> batches = {{0, 100}, {100, 130}, {130, 131}, {131, 132}};
    for (const auto& [from, to] : batches) {
      const int n = to - from;
      const float* fast = impl.forwardCpu(cpu, tokens.data() + from, n, true);
      const at::Tensor reference =
          impl.forwardTorch(torch, tokens.data() + from, n, true).contiguous();
      QCOMPARE(reference.numel(), static_cast<int64_t>(n) * vocab);
      const float diff =
          kvr::test::maxAbsDiff(fast, reference.data_ptr<float>(), reference.numel());
      QVERIFY2(diff < 1e-4f, qPrintable(QString("tokens %1-%2: max |diff| %3")
                                            .arg(from)
                                            .arg(to)
                                            .arg(static_cast<double>(diff))));
    }
    QCOMPARE(cpuCache->tokens(), torchCache->tokens());
  }
};

QTEST_GUILESS_MAIN(TestCpuForward)
#include "test_cpu_forward.moc"
