// The torch-free CPU forward: its vector kernels against the portable ones,
// its thread pool's split of work, and its logits against the torch forward
// on the same weights, for a decode step, a short suffix (attention query by
// query) and a long prefill (attention as GEMMs).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>

#include "kvrecycle/error.h"
#include "kvrecycle/weights_fidelity.h"
#include "model/cpu/bf16_panels.h"
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

std::vector<uint16_t> toBf16(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = kvr::cpu::floatToBf16(v[i]);
  return out;
}

// A row-major [rows, cols] matrix as the bf16 panels the kernels read.
std::vector<uint16_t> toBf16Panels(const std::vector<float>& w, int rows, int cols) {
  std::vector<uint16_t> out(kvr::cpu::panelMatrixElements(rows, cols), 0);
  kvr::cpu::packBf16Panels(
      rows, cols, 0, kvr::cpu::panelCount(rows),
      [&](int r, int c) { return w[static_cast<size_t>(r) * cols + c]; }, out.data());
  return out;
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
          const std::vector<uint16_t> half = toBf16Panels(w, rows, cols);
          std::vector<float> h1 = randomFloats(rows, 4), h2 = h1;
          fast->gemvRowsBf16(half.data(), x.data(), b, h1.data(), cols, 2, rows, accumulate);
          plain.gemvRowsBf16(half.data(), x.data(), b, h2.data(), cols, 2, rows, accumulate);
          QVERIFY2(maxRelativeDiff(h1, h2) < 1e-5f, qPrintable(QString("bf16 cols %1").arg(cols)));
          QCOMPARE(h1[0], h2[0]);
          QCOMPARE(h1[1], h2[1]);  // rows of r0's panel before r0 untouched
          // And it is the float32 product over the rounded weights, which
          // widening the panels gives back as plain rows.
          std::vector<float> widened(w.size()), f = randomFloats(rows, 4);
          plain.widenBf16Rows(half.data(), cols, 0, rows, widened.data());
          plain.gemvRows(widened.data(), x.data(), b, f.data(), cols, 2, rows, accumulate);
          QVERIFY(maxRelativeDiff(h2, f) < 1e-5f);
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
    // Attention for a block of queries (five: AVX-512's group of four and one
    // more; AVX2's pairs and one), query rows 3 * dim apart as in the qkv
    // buffer, outputs with a stride; head sizes with and without tails.
    for (const int dim : {20, 64, 96, 128}) {
      const int count = 23, queries = 5, ldq = 3 * dim, ldOut = count + 3;
      const auto q = randomFloats(static_cast<size_t>(queries) * ldq, 5);
      const auto keys = randomFloats(static_cast<size_t>(count) * dim, 6);
      std::vector<float> s1(static_cast<size_t>(queries) * ldOut), s2 = s1;
      fast->scores(q.data(), ldq, queries, keys.data(), count, dim, 0.125f, s1.data(), ldOut);
      plain.scores(q.data(), ldq, queries, keys.data(), count, dim, 0.125f, s2.data(), ldOut);
      QVERIFY(maxRelativeDiff(s1, s2) < 1e-5f);
      std::vector<float> o1 = randomFloats(static_cast<size_t>(queries) * 2 * dim, 7), o2 = o1;
      for (const bool accumulate : {false, true}) {
        fast->weightedSum(s1.data(), ldOut, queries, keys.data(), count, dim, o1.data(), 2 * dim,
                          accumulate);
        plain.weightedSum(s1.data(), ldOut, queries, keys.data(), count, dim, o2.data(), 2 * dim,
                          accumulate);
        QVERIFY2(maxRelativeDiff(o1, o2) < 1e-5f, qPrintable(QString("dim %1").arg(dim)));
      }
    }
  }

  // The forward attends blocks of queries together and a decode step one
  // query: a query's scores and sums must be the same numbers either way
  // (bit for bit), and a sum split in two calls the same as one call, or a
  // recycled suffix would not compute what a full prefill computes.
  void attentionOfAQueryDoesNotDependOnItsBlock() {
    for (const kvr::cpu::Kernels* k :
         {&kvr::cpu::genericKernels(), kvr::cpu::avx2Kernels(), kvr::cpu::avx512Kernels()}) {
      if (k == nullptr) continue;
      const int dim = 64, count = 37, queries = 7;
      const auto q = randomFloats(static_cast<size_t>(queries) * dim, 11);
      const auto keys = randomFloats(static_cast<size_t>(count) * dim, 12);
      std::vector<float> block(static_cast<size_t>(queries) * count);
      k->scores(q.data(), dim, queries, keys.data(), count, dim, 0.125f, block.data(), count);
      std::vector<float> alone(count), sums(static_cast<size_t>(queries) * dim);
      std::vector<float> one(dim), split(dim);
      k->weightedSum(block.data(), count, queries, keys.data(), count, dim, sums.data(), dim,
                     false);
      for (int b = 0; b < queries; ++b) {
        const float* row = block.data() + static_cast<size_t>(b) * count;
        k->scores(q.data() + static_cast<size_t>(b) * dim, dim, 1, keys.data(), count - b, dim,
                  0.125f, alone.data(), count);
        for (int t = 0; t < count - b; ++t) QCOMPARE(alone[t], row[t]);
        k->weightedSum(row, count, 1, keys.data(), count, dim, one.data(), dim, false);
        k->weightedSum(row, count, 1, keys.data(), 10 + b, dim, split.data(), dim, false);
        k->weightedSum(row + 10 + b, count, 1, keys.data() + static_cast<size_t>(10 + b) * dim,
                       count - 10 - b, dim, split.data(), dim, true);
        for (int d = 0; d < dim; ++d) {
          QCOMPARE(one[d], sums[static_cast<size_t>(b) * dim + d]);
          QCOMPARE(split[d], one[d]);
        }
      }
    }
  }

  void bf16RoundsToNearestEvenAndWidensExactly() {
    using kvr::cpu::bf16ToFloat;
    using kvr::cpu::floatToBf16;
    QCOMPARE(bf16ToFloat(floatToBf16(1.5f)), 1.5f);                         // representable: kept
    QCOMPARE(bf16ToFloat(floatToBf16(1.f + 1.f / 256)), 1.f);               // a tie: to even (down)
    QCOMPARE(bf16ToFloat(floatToBf16(1.f + 3.f / 256)), 1.f + 4.f / 256);   // a tie: to even (up)
    QCOMPARE(bf16ToFloat(floatToBf16(1.f + 1.1f / 256)), 1.f + 2.f / 256);  // past half: up
    QCOMPARE(bf16ToFloat(floatToBf16(-3.f)), -3.f);
    const float inf = std::numeric_limits<float>::infinity();
    QCOMPARE(bf16ToFloat(floatToBf16(inf)), inf);
    QVERIFY(std::isnan(bf16ToFloat(floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
    // Widening panels in every kernel set gives exactly the float32 values in
    // plain rows, tails (rows past a panel, columns past 16) included.
    const int rows = 11, cols = 37;
    const std::vector<float> values = randomFloats(static_cast<size_t>(rows) * cols, 9, 100.f);
    const std::vector<uint16_t> half = toBf16(values);
    const std::vector<uint16_t> panels = toBf16Panels(values, rows, cols);
    for (const kvr::cpu::Kernels* k :
         {&kvr::cpu::genericKernels(), kvr::cpu::avx2Kernels(), kvr::cpu::avx512Kernels()}) {
      if (k == nullptr) continue;
      for (const int r0 : {0, 3, 8}) {  // from a panel's start, its middle, the next panel
        const int count = rows - r0;
        std::vector<float> wide(static_cast<size_t>(count) * cols);
        k->widenBf16Rows(panels.data(), cols, r0, count, wide.data());
        for (size_t i = 0; i < wide.size(); ++i) {
          const size_t at = static_cast<size_t>(r0) * cols + i;
          QCOMPARE(wide[i], bf16ToFloat(half[at]));
          QVERIFY(std::abs(wide[i] - values[at]) <= std::abs(values[at]) / 256);
        }
      }
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

  // A model reading bf16 weights computes what a float32 model computes over
  // the same weights rounded to bf16 (so neither the rounding, the layout nor
  // the widening may be wrong), and differs from the unrounded model (so the
  // comparison could fail).
  void bf16ForwardIsFloat32OverRoundedWeights() {
    kvr::LoadOptions bf16;
    bf16.weightsDtype = kvr::WeightsDtype::BF16;
    const auto half = kvr::Model::load(kvr::test::tinyChaoticModel(), bf16);
    const auto exact = kvr::Model::load(kvr::test::tinyChaoticModel());
    const auto rounded = kvr::Model::load(kvr::test::tinyChaoticModel());
    auto& impl = const_cast<kvr::Model::Impl&>(kvr::EngineAccess::of(*rounded));
    c10::InferenceMode inference;  // the weights are inference tensors
    for (kvr::LayerWeights& l : impl.weights.layers) {
      for (at::Tensor* m : {&l.attnWeight, &l.attnProjWeight, &l.fcWeight, &l.mlpProjWeight}) {
        m->copy_(m->to(at::kBFloat16));  // in place: the CPU views keep pointing at it
      }
    }
    // The head is tied to wte, which the embedding reads unrounded: a rounded copy.
    const at::Tensor head = impl.weights.lmHead.to(at::kBFloat16).to(at::kFloat).contiguous();
    impl.cpuWeights.lmHead.f32 = head.data_ptr<float>();

    QVERIFY(half->fingerprint() != exact->fingerprint());
    QCOMPARE(half->fingerprint(), exact->fingerprint() + ":bf16-weights");
    QCOMPARE(half->weights().fingerprint, exact->weights().fingerprint);
    QVERIFY(half->forwardKernels().find("bf16 weights") != std::string::npos);

    const auto c1 = half->newCache(), c2 = rounded->newCache(), c3 = exact->newCache();
    const std::vector<int> tokens = kvr::test::randomTokens(5, 200);
    const std::vector<std::pair<int, int>> batches = {{0, 100}, {100, 130}, {130, 131}, {131, 132}};
    float fromExact = 0;
    for (const auto& [from, to] : batches) {
      const std::vector<int> ids(tokens.begin() + from, tokens.begin() + to);
      const std::vector<float> a = half->forward(*c1, ids, true);
      const std::vector<float> b = rounded->forward(*c2, ids, true);
      const std::vector<float> c = exact->forward(*c3, ids, true);
      const float diff = kvr::test::maxAbsDiff(a.data(), b.data(), a.size());
      QVERIFY2(diff < 1e-4f, qPrintable(QString("tokens %1-%2: max |diff| %3")
                                            .arg(from)
                                            .arg(to)
                                            .arg(static_cast<double>(diff))));
      fromExact = std::max(fromExact, kvr::test::maxAbsDiff(a.data(), c.data(), a.size()));
    }
    QVERIFY2(fromExact > 1e-3f, qPrintable(QString::number(static_cast<double>(fromExact))));
  }

  // What bench-engine reports: agreement with float32 (high on this model, and
  // exact when a model is compared with itself), and where outputs part.
  void weightsFidelityComparesWithFloat32() {
    kvr::LoadOptions bf16;
    bf16.weightsDtype = kvr::WeightsDtype::BF16;
    const auto half = kvr::Model::load(kvr::test::tinyChaoticModel(), bf16);
    const auto exact = kvr::Model::load(kvr::test::tinyChaoticModel());
    const std::vector<int> prompt = kvr::test::randomTokens(6, 40);
    const kvr::WeightsFidelity self = kvr::measureWeightsFidelity(*exact, *exact, prompt, 24);
    QCOMPARE(self.generatedTokens, 24);
    QCOMPARE(self.greedyAgreement, 24);
    QCOMPARE(self.firstDivergence, -1);
    QCOMPARE(self.teacherForcedTop1Agreement, 1.0);
    QCOMPARE(self.maxAbsLogitDelta, 0.0);
    QVERIFY(self.referenceLogitSpread > 0);

    const kvr::WeightsFidelity f = kvr::measureWeightsFidelity(*exact, *half, prompt, 24);
    QVERIFY(f.maxAbsLogitDelta > 0);
    QVERIFY2(f.maxAbsLogitDelta < 0.05 * f.referenceLogitSpread,
             qPrintable(QString::number(f.maxAbsLogitDelta)));
    QVERIFY(f.firstDivergence == -1 || f.greedyAgreement < 24);
    QVERIFY(f.firstDivergence == -1 || f.firstDivergence < 24);
    QVERIFY2(f.teacherForcedTop1Agreement >= 0.75,
             qPrintable(QString::number(f.teacherForcedTop1Agreement)));
    QVERIFY_THROWS_EXCEPTION(kvr::Error,
                             kvr::measureWeightsFidelity(*exact, *half, prompt, 100000));
  }
};

QTEST_GUILESS_MAIN(TestCpuForward)
#include "test_cpu_forward.moc"
