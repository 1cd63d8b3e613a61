// The parts recycling decisions rest on: the token trie, the embedders and
// their index, the summary arithmetic, and the synthetic workloads.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <utility>

#include <cmath>

#include "kv/prefix_trie.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "kvrecycle/results.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/tokenizer.h"
#include "kvrecycle/workloads.h"
#include "retrieval/embedding_index.h"
#include "test_support.h"

class TestRecyclingParts : public QObject {
  Q_OBJECT

 private slots:
  void trieFindsLongestCommonPrefix() {
    kvr::PrefixTrie trie;
    trie.insert({1, 2, 3, 4}, 0);
    trie.insert({1, 2, 9}, 1);
    trie.insert({7}, 2);
    QCOMPARE(trie.size(), 3);
    auto m = trie.longestPrefix({1, 2, 3, 4, 5, 6});
    QCOMPARE(m.length, 4);
    QCOMPARE(m.entry, 0);
    m = trie.longestPrefix({1, 2, 9, 9});
    QCOMPARE(m.length, 3);
    QCOMPARE(m.entry, 1);
    m = trie.longestPrefix({1, 2, 5});  // shared with both: the first inserted wins
    QCOMPARE(m.length, 2);
    QCOMPARE(m.entry, 0);
    m = trie.longestPrefix({1, 2});  // partial: the entry goes on beyond the prompt
    QCOMPARE(m.length, 2);
    m = trie.longestPrefix({8, 1});
    QCOMPARE(m.length, 0);
    QCOMPARE(m.entry, -1);
  }

  void hashedEmbedderIsNormalizedAndDiscriminates() {
    const auto e = kvr::makeHashedNgramEmbedder();
    const auto a = e->embed("How do I keep my houseplants alive in winter?");
    const auto a2 = e->embed("How do I keep my houseplants alive in winter?");
    const auto b = e->embed("How do I keep my houseplants alive in winter? Little sun here.");
    const auto c = e->embed("Quantum chromodynamics describes the strong force.");
    QCOMPARE(a, a2);
    double norm = 0;
    for (float x : a) norm += static_cast<double>(x) * x;
    QVERIFY(std::fabs(norm - 1.0) < 1e-5);
    QVERIFY(kvr::cosineSimilarity(a, b) > 0.6);
    QVERIFY(kvr::cosineSimilarity(a, c) < 0.3);
    QCOMPARE(kvr::cosineSimilarity(e->embed(""), a), 0.0);
  }

  void modelEmbedderUsesHiddenStates() {
    const auto model = kvr::Model::load(kvr::test::tinyChaoticModel());
    const auto e = kvr::makeEmbedder(kvr::EmbedderKind::Model, *model);
    QCOMPARE(e->dimension(), 64);
    const auto a = e->embed("Hello there, friend.");
    QCOMPARE(a, e->embed("Hello there, friend."));
    QVERIFY(kvr::cosineSimilarity(a, e->embed("Hello there, friend.")) > 0.9999);
    QVERIFY(kvr::cosineSimilarity(a, e->embed("Tax forms are due in April")) < 0.9999);
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseEmbedderKind("bert"));
  }

  void indexSearchesAndPersists() {
    const auto e = kvr::makeHashedNgramEmbedder(256);
    kvr::EmbeddingIndex index(256);
    const std::vector<std::string> texts = {"red apples and pears", "fast cars on race tracks",
                                            "green apples in a basket"};
    for (const auto& t : texts) index.add(e->embed(t));
    auto hits = index.search(e->embed("cars racing on a track"), 2);
    QCOMPARE(hits.size(), size_t{2});
    QCOMPARE(hits[0].row, 1);
    QVERIFY(hits[0].score >= hits[1].score);

    QTemporaryDir dir;
    const std::filesystem::path file = dir.filePath("index.faiss").toStdString();
    index.save(file);
    const kvr::EmbeddingIndex loaded = kvr::EmbeddingIndex::load(file, 256);
    QCOMPARE(loaded.size(), 3);
    QCOMPARE(loaded.search(e->embed("apples in a basket"), 1)[0].row, 2);
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::EmbeddingIndex::load(file, 128));
    kvr::test::writeBytes(file, "not an index");
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::EmbeddingIndex::load(file, 256));
  }

  // The index searches with the engine's SIMD dot products, not faiss's own:
  // its top-k must be the one plain arithmetic gives, flat, saved and loaded,
  // and exact search under a graph too. 1027 dimensions: a tail past the vector width.
  void simdSearchFindsTheExactTopK() {
    const int n = 600, dim = 1027, k = 5;
    std::mt19937 random(11);
    std::normal_distribution<float> normal;
    kvr::EmbeddingIndex index(dim);
    std::vector<std::vector<float>> rows;
    for (int i = 0; i < n; ++i) {
      std::vector<float> v(dim);
      for (float& x : v) x = normal(random);
      index.add(v);
      rows.push_back(std::move(v));
    }
    const auto expected = [&](const std::vector<float>& q) {
      std::vector<std::pair<double, int>> all;
      for (int i = 0; i < n; ++i) {
        double s = 0;
        for (int j = 0; j < dim; ++j) s += double(q[j]) * rows[i][j];
        all.emplace_back(-s, i);
      }
      std::sort(all.begin(), all.end());
      return all;
    };
    QTemporaryDir dir;
    const std::filesystem::path file = dir.filePath("simd.faiss").toStdString();
    index.save(file);
    const kvr::EmbeddingIndex loaded = kvr::EmbeddingIndex::load(file, dim);
    for (int t = 0; t < 20; ++t) {
      std::vector<float> q(dim);
      for (float& x : q) x = normal(random);
      const auto truth = expected(q);
      for (const kvr::EmbeddingIndex* which : {&std::as_const(index), &loaded}) {
        const auto hits = which->search(q, k);
        QCOMPARE(hits.size(), size_t{k});
        for (int i = 0; i < k; ++i) {
          QCOMPARE(hits[i].row, truth[i].second);
          QVERIFY(std::abs(hits[i].score + truth[i].first) <
                  1e-3 * std::abs(truth[i].first) + 1e-3);
        }
        QCOMPARE(which->searchExact(q, 1)[0].row, truth[0].second);
      }
    }
    QCOMPARE(index.search(rows[0], n + 10).size(), size_t{n});  // k past the size: all of them
  }

  // At store scale the index becomes a graph: vectors kept (reconstructible),
  // each stored vector still its own nearest neighbour, persisted as a graph.
  void largeIndexUsesAGraph() {
    const int n = kvr::EmbeddingIndex::kGraphFrom;
    const int dim = 8;
    std::mt19937 random(3);
    std::normal_distribution<float> normal;
    kvr::EmbeddingIndex index(dim);
    std::vector<std::vector<float>> rows;
    for (int i = 0; i < n; ++i) {
      std::vector<float> v(dim);
      double norm = 0;
      for (float& x : v) x = normal(random), norm += double(x) * x;
      for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
      index.add(v);
      if (i % 1000 == 0) rows.push_back(v);
    }
    index.useGraphIfLarge();
    QVERIFY(index.approximate());
    QVERIFY(QString::fromStdString(index.kind()).startsWith("hnsw"));
    QCOMPARE(index.size(), n);
    const std::vector<float> stored = index.vector(1000);  // fp16 in the graph
    QCOMPARE(stored.size(), rows[1].size());
    for (size_t i = 0; i < stored.size(); ++i) QVERIFY(std::abs(stored[i] - rows[1][i]) < 1e-3f);
    QVERIFY(QString::fromStdString(index.kind()).contains("fp16"));
    int found = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      found += index.search(rows[r], 1)[0].row == static_cast<int>(r * 1000) ? 1 : 0;
    }
    QVERIFY(found >= static_cast<int>(rows.size()) - 1);  // approximate, but not far off
    QTemporaryDir dir;
    const std::filesystem::path file = dir.filePath("graph.faiss").toStdString();
    index.save(file);
    const kvr::EmbeddingIndex loaded = kvr::EmbeddingIndex::load(file, dim);
    QVERIFY(loaded.approximate());
    QCOMPARE(loaded.size(), n);
    int foundLoaded = 0;  // the loaded graph searches over its swapped-in storage
    for (size_t r = 0; r < rows.size(); ++r) {
      foundLoaded += loaded.search(rows[r], 1)[0].row == static_cast<int>(r * 1000) ? 1 : 0;
      QCOMPARE(loaded.searchExact(rows[r], 1)[0].row, static_cast<int>(r * 1000));
    }
    QVERIFY(foundLoaded >= static_cast<int>(rows.size()) - 1);
    // The saved graph is the same graph: same answers, best first, scores included.
    int agreeWithExact = 0;
    for (int t = 0; t < 50; ++t) {
      std::vector<float> q(dim);
      for (float& x : q) x = normal(random);
      const auto before = index.search(q, 5), after = loaded.search(q, 5);
      QCOMPARE(after.size(), size_t{5});
      for (size_t i = 0; i < before.size(); ++i) {
        QCOMPARE(after[i].row, before[i].row);
        QCOMPARE(after[i].score, before[i].score);
        if (i > 0) QVERIFY(after[i].score <= after[i - 1].score);
      }
      agreeWithExact += after[0].row == loaded.searchExact(q, 1)[0].row ? 1 : 0;
    }
    QVERIFY2(agreeWithExact >= 48, std::to_string(agreeWithExact).c_str());  // recall@1 on 50
    // Its vectors are mapped from the file; an add copies them first and extends the graph.
    kvr::EmbeddingIndex grown = kvr::EmbeddingIndex::load(file, dim);
    std::vector<float> extra(dim, 0.f);
    extra[0] = 1.f;
    grown.add(extra);
    QCOMPARE(grown.size(), n + 1);
    QCOMPARE(grown.search(extra, 1)[0].row, n);
    QCOMPARE(grown.vector(1000), loaded.vector(1000));
    // A damaged file is an error naming it, never a search out of bounds.
    const auto damaged = [&](const std::function<void(std::fstream&)>& damage) {
      const std::filesystem::path copy = dir.filePath("damaged.faiss").toStdString();
      std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
      {
        std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
        damage(f);
      }
      try {
        kvr::EmbeddingIndex::load(copy, dim);
      } catch (const kvr::Error& e) {
        return std::string(e.what()).find(copy.string()) != std::string::npos;
      }
      return false;
    };
    const auto flipAt = [](std::streamoff at) {
      return [at](std::fstream& f) {
        f.seekg(at);
        const char c = static_cast<char>(f.get());
        f.seekp(at);
        f.put(static_cast<char>(c ^ 0x20));
      };
    };
    const auto size = static_cast<std::streamoff>(std::filesystem::file_size(file));
    QVERIFY(damaged(flipAt(200)));       // in the graph
    QVERIFY(damaged(flipAt(size - 3)));  // in the vectors
    QVERIFY(damaged(flipAt(20)));        // in the header
    std::filesystem::resize_file(file, static_cast<uintmax_t>(size - 100));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::EmbeddingIndex::load(file, dim));
    kvr::EmbeddingIndex small(dim);
    small.add(rows[0]);
    small.useGraphIfLarge();
    QVERIFY(!small.approximate());
  }

  void summaryFollowsTheStudy() {
    std::vector<kvr::PromptResult> rs(3);
    rs[0].promptTokens = 10, rs[0].reusedTokens = 5, rs[0].speedupPct = 40, rs[0].exactMatch = true;
    rs[0].promptSimilarity = 0.9, rs[0].outputSimilarity = 1, rs[0].ttftSpeedup = 2;
    rs[0].baselineTotalSeconds = 1.0, rs[0].recycledTotalSeconds = 0.6;
    rs[1].promptTokens = 10, rs[1].reusedTokens = 10 - 1, rs[1].speedupPct = 80,
    rs[1].exactMatch = true;
    rs[1].promptSimilarity = 0.5, rs[1].outputSimilarity = 1, rs[1].ttftSpeedup = 4;
    rs[1].baselineTotalSeconds = 1.0, rs[1].recycledTotalSeconds = 0.2;
    rs[2].promptTokens = 8, rs[2].speedupPct = -2, rs[2].exactMatch = false;
    rs[2].promptSimilarity = 0.1, rs[2].outputSimilarity = 0.5, rs[2].ttftSpeedup = 1;
    rs[2].baselineTotalSeconds = 0.5, rs[2].recycledTotalSeconds = 0.51;
    rs[2].fallbackReason = "checksum mismatch";
    const kvr::RunSummary s = kvr::summarizeResults(rs);
    QCOMPARE(s.prompts, 3);
    QCOMPARE(s.cacheHits, 2);
    QCOMPARE(s.tokensReused, int64_t{14});
    QCOMPARE(s.avgSpeedupWithCachePct, 60.0);
    QCOMPARE(s.avgSpeedupWithoutCachePct, -2.0);
    QVERIFY(std::fabs(s.avgSpeedupPct - 118.0 / 3) < 1e-9);
    QCOMPARE(s.highSimilarityPrompts, 1);
    // Exactness is judged on the prompts that reused K/V: the fallback ran two
    // identical full prefills and says nothing about recycling.
    QCOMPARE(s.reusedPrompts, 2);
    QCOMPARE(s.exactReused, 2);
    QCOMPARE(s.exactMatchRate, 1.0);
    QCOMPARE(s.fallbacks, 1);
    // alpha = sum(S x) / sum(x^2) with x = k/m: (40*0.5 + 80*0.9) / (0.25 + 0.81)
    QVERIFY(std::fabs(s.alpha - (20.0 + 72.0) / 1.06) < 1e-9);
    QCOMPARE(kvr::summarizeResults({}).prompts, 0);
    QVERIFY(std::isnan(kvr::summarizeResults({}).exactMatchRate));
  }

  void summaryLeavesNoiseOutOfTheFitAndGivesIntervals() {
    std::vector<kvr::PromptResult> rs(6);
    for (int i = 0; i < 6; ++i) {
      rs[i].promptTokens = 10;
      rs[i].reusedTokens = 2 + i;                                       // x = k/m from 0.2 to 0.7
      rs[i].speedupPct = 50.0 * (2 + i) / 10.0 + (i % 2 ? 1.0 : -1.0);  // S ~ 50 k/m
      rs[i].ttftSpeedup = 1.0 + 0.1 * i;
      rs[i].exactMatch = i != 3;
    }
    rs[5].speedupPct = 900;  // a busy second, flagged by the runner
    rs[5].noisy = true;
    rs[5].noiseReason = "decode times differed";
    const kvr::RunSummary s = kvr::summarizeResults(rs);
    QCOMPARE(s.noisyPrompts, 1);
    QCOMPARE(s.reusedPrompts, 6);
    QCOMPARE(s.exactReused, 5);
    QVERIFY(std::fabs(s.exactMatchRate - 5.0 / 6) < 1e-12);
    // The outlier moves the average (averages are over all prompts) but not the fit.
    QVERIFY(s.alpha > 45 && s.alpha < 55);
    QVERIFY(s.alphaR2 > 0.9);
    QVERIFY(s.alphaCi95.valid() && s.alphaCi95.low <= s.alpha && s.alpha <= s.alphaCi95.high);
    QVERIFY(s.avgSpeedupCi95.valid());
    QVERIFY(s.avgSpeedupCi95.low < s.avgSpeedupPct && s.avgSpeedupPct < s.avgSpeedupCi95.high);
    // The outlier's weight shows as a wide interval.
    QVERIFY(s.avgSpeedupCi95.high - s.avgSpeedupCi95.low > 100);
    QVERIFY(s.avgTtftSpeedupCi95.valid());
    // Seeded: the same results give the same interval.
    const kvr::RunSummary again = kvr::summarizeResults(rs);
    QCOMPARE(again.avgSpeedupCi95.low, s.avgSpeedupCi95.low);
    QCOMPARE(again.alphaCi95.high, s.alphaCi95.high);
    // One prompt without reuse: no interval can be drawn from a single value.
    QVERIFY(!s.avgSpeedupWithoutCacheCi95.valid());

    // Through JSON and back: intervals, null rate and counts survive.
    const kvr::RunSummary decoded = kvr::summaryFromJson(kvr::summaryToJson(s));
    QCOMPARE(decoded.noisyPrompts, 1);
    QCOMPARE(decoded.avgSpeedupCi95.low, s.avgSpeedupCi95.low);
    QCOMPARE(decoded.alphaCi95.high, s.alphaCi95.high);
    QVERIFY(!decoded.avgSpeedupWithoutCacheCi95.valid());
    const std::string none = kvr::summaryToJson(kvr::summarizeResults({}));
    QVERIFY(none.find("\"exact_match_rate\":null") != std::string::npos);
    QVERIFY(std::isnan(kvr::summaryFromJson(none).exactMatchRate));
  }

  void originFitAndBootstrapBehave() {
    const kvr::OriginFit exact = kvr::fitThroughOrigin({1, 2, 3}, {2, 4, 6});
    QCOMPARE(exact.slope, 2.0);
    QCOMPARE(exact.r2, 1.0);
    QVERIFY(std::isnan(kvr::fitThroughOrigin({0, 0}, {1, 2}).r2));
    const kvr::BootstrapInterval same = kvr::bootstrapMeanInterval95({3, 3, 3, 3});
    QVERIFY(same.valid);
    QCOMPARE(same.low, 3.0);
    QCOMPARE(same.high, 3.0);
    QVERIFY(!kvr::bootstrapMeanInterval95({3}).valid);
    const kvr::BootstrapInterval spread = kvr::bootstrapMeanInterval95({0, 10, 0, 10, 0, 10});
    QVERIFY(spread.low < 5 && spread.high > 5 && spread.low >= 0 && spread.high <= 10);
  }

  void workloadsHaveControlledOverlap() {
    const auto tokenizer = kvr::Gpt2Tokenizer::load(kvr::test::tinyModel());
    kvr::WorkloadOptions o;
    o.prefixTokens = 120;
    o.suffixTokens = 20;
    o.count = 4;
    const kvr::Workload w = kvr::makeWorkload(*tokenizer, o);
    const auto prefix = tokenizer->encode(w.cache.prompts[0].text);
    QVERIFY(prefix.size() >= 120 && prefix.size() < 140);
    QCOMPARE(w.test.prompts.size(), size_t{5});
    for (int i = 0; i < 4; ++i) {
      const auto t = tokenizer->encode(w.test.prompts[static_cast<size_t>(i)].text);
      QVERIFY(std::equal(prefix.begin(), prefix.end(), t.begin()));  // the prefix is a token prefix
      QVERIFY(t.size() >= prefix.size() + 20);
    }
    QVERIFY(tokenizer->encode(w.test.prompts[4].text)[0] != prefix[0] ||
            w.test.prompts[4].text.substr(0, 20) != w.cache.prompts[0].text.substr(0, 20));
    QCOMPARE(kvr::makeWorkload(*tokenizer, o).test.prompts[2].text, w.test.prompts[2].text);

    o.kind = "dialogue";
    o.count = 2;
    o.turns = 3;
    const kvr::Workload d = kvr::makeWorkload(*tokenizer, o);
    QCOMPARE(d.cache.prompts.size(), size_t{4});
    QCOMPARE(d.test.prompts.size(), size_t{4});
    // Turn t of a conversation extends its turn t - 1.
    QVERIFY(d.test.prompts[0].text.rfind(d.cache.prompts[0].text, 0) == 0);
    o.kind = "lecture";
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::makeWorkload(*tokenizer, o));
  }
};

QTEST_GUILESS_MAIN(TestRecyclingParts)
#include "test_recycling_parts.moc"
