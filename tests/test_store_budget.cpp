// The K/V store under a byte budget: sizes, the ledger's eviction choices and
// its persistence, the resident store on the tiny model (admission, eviction,
// pinning, truncation, restarts), the footprint arithmetic and conversations.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "experiment/conversation.h"
#include "experiment/footprint.h"
#include "experiment/store_samples_json.h"
#include "kv/entry_catalogue.h"
#include "kv/resident_store.h"
#include "kv/store_ledger.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/store_budget.h"
#include "kvrecycle/tokenizer.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

kvr::StoreLedger threeEntries() {
  kvr::StoreLedger ledger;
  ledger.admit("a", 1000, 100);  // tick 1
  ledger.admit("b", 1000, 100);  // tick 2
  ledger.admit("c", 1000, 100);  // tick 3
  ledger.recordHit("a", 100, 0.01);
  ledger.recordHit("a", 100, 0.01);
  ledger.recordHit("b", 100, 0.01);  // b is now the most recent, a the most used
  return ledger;
}

std::unique_ptr<kvr::KVCache> filled(const kvr::Model& model, const std::vector<int>& tokens) {
  auto cache = model.newCache(static_cast<int>(tokens.size()));
  model.forward(*cache, tokens);
  return cache;
}

}  // namespace

class TestStoreBudget : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  std::unique_ptr<kvr::Model> model_;

  fs::path dir(const std::string& name) const { return fs::path(tmp_.path().toStdString()) / name; }

 private slots:
  void initTestCase() { model_ = kvr::Model::load(kvr::test::tinyModel()); }

  void parsesByteSizes() {
    QCOMPARE(kvr::parseByteSize("65536"), int64_t{65536});
    QCOMPARE(kvr::parseByteSize("64K"), int64_t{65536});
    QCOMPARE(kvr::parseByteSize("1.5M"), int64_t{1572864});
    QCOMPARE(kvr::parseByteSize("2G"), int64_t{2147483648});
    QCOMPARE(kvr::parseByteSize("none"), int64_t{0});
    for (const char* bad : {"", "12X", "-1", "K", "1e3", "1.2.3M"}) {
      QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseByteSize(bad));
    }
    QCOMPARE(kvr::parseEvictionPolicy("value"), kvr::EvictionPolicy::Value);
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseEvictionPolicy("fifo"));
  }

  void policiesChooseTheirVictims() {
    const kvr::StoreLedger ledger = threeEntries();
    // lru: c was last used at its admission (tick 3), before b's hit and a's hits.
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Lru, 1, {})->id, std::string("c"));
    // lfu: c has one use (its admission); b two; a three.
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Lfu, 1, {})->id, std::string("c"));
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Lfu, 1, {"c"})->id, std::string("b"));
    // value: a (2 hits) is worth more per byte than b (1 hit) and c (none).
    QVERIFY(ledger.valuePerByte(*ledger.find("a")) > ledger.valuePerByte(*ledger.find("b")));
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Value, 1, {"c"})->id, std::string("b"));
    // A pinned entry is never chosen; all pinned: nothing.
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Lru, 1, {"c", "a"})->id, std::string("b"));
    QVERIFY(!ledger.chooseEviction(kvr::EvictionPolicy::Lru, 1, {"a", "b", "c"}).has_value());
  }

  void truncatesWhenThatFreesEnough() {
    kvr::StoreLedger ledger;
    ledger.admit("long", 1000, 100);
    ledger.recordHit("long", 20, 0.01);  // its hits never went past 20 tokens
    auto e = ledger.chooseEviction(kvr::EvictionPolicy::Lru, 700, {});
    QCOMPARE(e->truncateTo, 20);  // keeping 20 % frees 800 >= 700
    e = ledger.chooseEviction(kvr::EvictionPolicy::Lru, 900, {});
    QCOMPARE(e->truncateTo, 0);  // not enough: dropped
    ledger.admit("whole", 1000, 100);
    ledger.recordHit("whole", 100, 0.01);
    QCOMPARE(ledger.chooseEviction(kvr::EvictionPolicy::Lru, 1, {"long"})->truncateTo, 0);
  }

  void ledgerPersists() {
    const fs::path file = dir("ledger") / kvr::StoreLedger::kFileName;
    fs::create_directories(file.parent_path());
    kvr::StoreLedger ledger = threeEntries();
    ledger.setBudget(4096);
    ledger.notePrefill(100, 0.5);
    ledger.save(file);
    const kvr::StoreLedger back = kvr::StoreLedger::load(file);
    QCOMPARE(back.budget(), int64_t{4096});
    QCOMPARE(back.residentBytes(), int64_t{3000});
    QCOMPARE(back.find("a")->hits, int64_t{2});
    QCOMPARE(back.secondsPerPrefillToken(), 0.005);
    QCOMPARE(back.chooseEviction(kvr::EvictionPolicy::Lru, 1, {})->id, std::string("c"));
    std::ofstream(file) << "{\"format\": \"kvrecycle-store-state\", \"version\": 1}";
    try {
      kvr::StoreLedger::load(file);
      QFAIL("a corrupt state file was accepted");
    } catch (const kvr::Error& e) {
      QVERIFY(std::string(e.what()).find(file.string()) != std::string::npos);
    }
    QCOMPARE(kvr::StoreLedger::load(dir("ledger") / "missing.bin").residentBytes(), int64_t{0});
    // A flipped byte fails the checksum (a binary file has no slack to notice it otherwise).
    ledger.save(file);
    {
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(30);
      f.put('\x55');
    }
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::StoreLedger::load(file));
  }

  // Stores of version 0.1 kept their ledger as JSON: read once, then replaced.
  void legacyJsonLedgerIsMigrated() {
    const fs::path storeDir = dir("legacy");
    fs::create_directories(storeDir);
    std::ofstream(storeDir / kvr::StoreLedger::kLegacyFileName)
        << R"({"format": "kvrecycle-store-state", "version": 1, "budget_bytes": 5000,
              "tick": 4, "seconds_per_prefill_token": 0.002, "entries": [
              {"id": "x", "bytes": 1200, "tokens": 30, "admitted_tick": 1, "last_use_tick": 4,
               "uses": 3, "hits": 2, "max_hit_depth": 20, "saved_s": 0.04}]})";
    const fs::path file = storeDir / kvr::StoreLedger::kFileName;
    const kvr::StoreLedger legacy = kvr::StoreLedger::load(file);
    QVERIFY(legacy.fileIsOutdated());
    QCOMPARE(legacy.budget(), int64_t{5000});
    QCOMPARE(legacy.find("x")->hits, int64_t{2});
    QCOMPARE(legacy.find("x")->maxHitDepth, 20);
    legacy.save(file);
    QVERIFY(!fs::exists(storeDir / kvr::StoreLedger::kLegacyFileName));
    const kvr::StoreLedger back = kvr::StoreLedger::load(file);
    QVERIFY(!back.fileIsOutdated());
    QCOMPARE(back.find("x")->savedSeconds, 0.04);
    QCOMPARE(back.find("x")->lastUseTick, uint64_t{4});
    QCOMPARE(back.secondsPerPrefillToken(), 0.002);
  }

  void admissionsStayWithinTheBudgetAcrossRestarts() {
    const fs::path storeDir = dir("resident");
    kvr::KVStore kv(storeDir);
    int64_t entryBytes = 0;
    {
      kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, 0});
      const auto first = store.admit(*filled(*model_, kvr::test::randomTokens(1, 40)), "one");
      QCOMPARE(first.outcome, std::string("admitted"));
      entryBytes = first.entry->bytes;
    }
    const int64_t budget = entryBytes * 5 / 2;  // room for two entries of this size
    {
      kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, budget});
      for (unsigned seed = 2; seed <= 5; ++seed) {
        const auto a = store.admit(*filled(*model_, kvr::test::randomTokens(seed, 40)), "x");
        QCOMPARE(a.outcome, std::string("admitted"));
        QVERIFY(store.residentBytes() <= budget);
      }
      for (const kvr::StoreSample& s : store.takeSamples()) QVERIFY(s.residentBytes <= budget);
      QCOMPARE(kv.entryIds().size(), size_t{2});
    }
    {
      // A new program start keeps the persisted budget and the files it left.
      kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, kvr::kKeepStoreBudget});
      QCOMPARE(store.budget(), budget);
      QCOMPARE(store.residentBytes(), 2 * entryBytes);
    }
    {
      // A lower budget is met at open, before the first sample.
      kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, entryBytes * 3 / 2});
      QCOMPARE(kv.entryIds().size(), size_t{1});
      const auto samples = store.takeSamples();
      QCOMPARE(samples.size(), size_t{1});
      QCOMPARE(samples[0].event, std::string("start"));
      QVERIFY(samples[0].residentBytes <= entryBytes * 3 / 2);
    }
  }

  // Entries another writer saved (a cache build, bench-store) are remembered
  // by the first open, so later opens need not read their headers again.
  void openRemembersFilesItLearned() {
    const fs::path storeDir = dir("learned");
    kvr::KVStore kv(storeDir);
    const auto info = kv.save(*model_, *filled(*model_, kvr::test::randomTokens(9, 12)), "nine");
    const fs::path ledgerFile = storeDir / kvr::StoreLedger::kFileName;
    QVERIFY(!fs::exists(ledgerFile));
    { kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, kvr::kKeepStoreBudget}); }
    QVERIFY(fs::exists(ledgerFile));
    const kvr::StoreLedger ledger = kvr::StoreLedger::load(ledgerFile);
    QCOMPARE(ledger.find(info.entryId)->tokens, 12);
    fs::remove(info.path);  // a file removed behind its back is forgotten, and that is saved
    { kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, kvr::kKeepStoreBudget}); }
    QVERIFY(kvr::StoreLedger::load(ledgerFile).entries().empty());
  }

  // A store open reads every entry's tokens from the catalogue, which is a
  // cache of the headers: it follows files added, removed or broken behind its
  // back, and a corrupt catalogue is rebuilt, never trusted.
  void catalogueFollowsTheFilesAndSurvivesCorruption() {
    const fs::path storeDir = dir("catalogue");
    kvr::KVStore kv(storeDir);
    const auto a = kv.save(*model_, *filled(*model_, kvr::test::randomTokens(21, 10)), "first");
    const auto b = kv.save(*model_, *filled(*model_, kvr::test::randomTokens(22, 14)), "second");
    std::vector<std::string> said;
    const auto log = [&said](const std::string& line) { said.push_back(line); };
    const fs::path file = storeDir / kvr::kEntryCatalogueFile;
    const auto tokensOf = [](const std::vector<kvr::CatalogueEntry>& entries,
                             const std::string& id) -> std::vector<int> {
      for (const auto& e : entries) {
        if (e.id == id) return e.tokens;
      }
      return {};
    };
    auto entries = kvr::readEntryCatalogue(kv, log);
    QCOMPARE(entries.size(), size_t{2});
    QCOMPARE(tokensOf(entries, a.entryId), a.tokenIds);
    QCOMPARE(tokensOf(entries, b.entryId), b.tokenIds);
    QVERIFY(fs::exists(file));
    QCOMPARE(kvr::loadCatalogueFile(file).size(), size_t{2});
    // The catalogue, not the headers, answers the next open: a catalogue whose
    // record of `a` names other tokens (same size) is believed.
    auto doctored = kvr::loadCatalogueFile(file);
    for (auto& e : doctored) {
      if (e.id == a.entryId) e.tokens = {1, 2, 3};
    }
    kvr::saveCatalogueFile(file, doctored);
    QCOMPARE(tokensOf(kvr::readEntryCatalogue(kv, log), a.entryId), (std::vector<int>{1, 2, 3}));
    // Removed and added behind its back: forgotten and learned, and saved.
    fs::remove(b.path);
    const auto c = kv.save(*model_, *filled(*model_, kvr::test::randomTokens(23, 8)), "third");
    entries = kvr::readEntryCatalogue(kv, log);
    QCOMPARE(entries.size(), size_t{2});
    QCOMPARE(tokensOf(entries, c.entryId), c.tokenIds);
    QCOMPARE(kvr::loadCatalogueFile(file).size(), size_t{2});
    // A flipped byte fails the checksum: rebuilt from the headers, and said.
    {
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(20);
      f.put('\x7f');
    }
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::loadCatalogueFile(file));
    said.clear();
    entries = kvr::readEntryCatalogue(kv, log);
    QCOMPARE(tokensOf(entries, a.entryId), a.tokenIds);
    QVERIFY(!said.empty() && said[0].find("entry catalogue") != std::string::npos);
    QCOMPARE(kvr::loadCatalogueFile(file).size(), size_t{2});
    // A truncated catalogue is refused the same way.
    fs::resize_file(file, fs::file_size(file) / 2);
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::loadCatalogueFile(file));
    // An unreadable entry is listed by its size, logged, and not catalogued.
    { std::ofstream(storeDir / "broken.safetensors") << "not a safetensors file"; }
    said.clear();
    entries = kvr::readEntryCatalogue(kv, log);
    QCOMPARE(entries.size(), size_t{3});
    const auto broken = std::find_if(entries.begin(), entries.end(),
                                     [](const auto& e) { return e.id == "broken"; });
    QVERIFY(broken != entries.end() && !broken->readable && broken->bytes > 0);
    QVERIFY(std::any_of(said.begin(), said.end(), [](const std::string& s) {
      return s.find("unreadable entry") != std::string::npos;
    }));
    QCOMPARE(kvr::loadCatalogueFile(file).size(), size_t{2});
  }

  void neverEvictsAnEntryInUse() {
    kvr::KVStore kv(dir("pinned"));
    kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, 0});
    const auto used = store.admit(*filled(*model_, kvr::test::randomTokens(7, 40)), "used");
    kvr::ResidentStore bounded(kv, *model_, {kvr::EvictionPolicy::Lru, used.entry->bytes * 3 / 2});
    bounded.pin(used.entry->entryId);
    const auto next = bounded.admit(*filled(*model_, kvr::test::randomTokens(8, 40)), "next");
    QVERIFY2(next.outcome.rfind("refused", 0) == 0, next.outcome.c_str());
    QVERIFY(kv.contains(used.entry->entryId));
    bounded.unpin(used.entry->entryId);
    QCOMPARE(bounded.admit(*filled(*model_, kvr::test::randomTokens(8, 40)), "next").outcome,
             std::string("admitted"));
    QVERIFY(!kv.contains(used.entry->entryId));
    // Larger than the whole budget: refused, nothing evicted.
    const auto huge = bounded.admit(*filled(*model_, kvr::test::randomTokens(9, 120)), "huge");
    QVERIFY2(huge.outcome.find("larger than the store budget") != std::string::npos,
             huge.outcome.c_str());
    QCOMPARE(kv.entryIds().size(), size_t{1});
  }

  void truncatesAnEntryToThePrefixItsHitsUsed() {
    kvr::KVStore kv(dir("truncate"));
    const std::vector<int> tokens = kvr::test::randomTokens(11, 120);
    kvr::ResidentStore store(kv, *model_, {kvr::EvictionPolicy::Lru, 0});
    const auto entry = store.admit(*filled(*model_, tokens), "long").entry;
    store.recordHit(entry->entryId, 20, 0.01);
    kvr::ResidentStore bounded(kv, *model_, {kvr::EvictionPolicy::Lru, entry->bytes * 6 / 10});
    const auto changes = bounded.takeChanges();
    QCOMPARE(changes.removed, std::vector<std::string>{entry->entryId});
    QCOMPARE(changes.added.size(), size_t{1});
    const kvr::KVEntryInfo& shorter = changes.added[0];
    QCOMPARE(shorter.tokenIds, std::vector<int>(tokens.begin(), tokens.begin() + 20));
    QVERIFY(shorter.bytes <= entry->bytes * 6 / 10);
    // The truncated entry holds exactly the K/V of its prefix.
    const auto loaded = model_->newCache(21);
    kv.loadPrefix(*model_, shorter.entryId, 20, *loaded);
    const auto direct = model_->newCache(21);
    model_->forward(*direct, shorter.tokenIds);
    const std::vector<int> next = {tokens[20]};
    // Up to float reassociation: the stored K/V came from a 120-token prefill.
    const std::vector<float> a = model_->forward(*loaded, next);
    const std::vector<float> b = model_->forward(*direct, next);
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) QVERIFY(std::fabs(a[i] - b[i]) < 1e-4f);
  }

  void footprintIntegratesTheSteps() {
    const std::vector<kvr::StoreSample> samples = {{0.0, 100, 100, "start"},
                                                   {1.0, 300, 300, "admit"},
                                                   {3.0, 200, 300, "evict"},
                                                   {4.0, 200, 300, "prompt"}};
    const kvr::Footprint f = kvr::footprintOf(samples);
    QCOMPARE(f.peakBytes, int64_t{300});
    QCOMPARE(f.byteSeconds, 100.0 * 1 + 300.0 * 2 + 200.0 * 1);
    QCOMPARE(f.unboundedByteSeconds, 100.0 * 1 + 300.0 * 2 + 300.0 * 1);
    QCOMPARE(f.admissions, 1);
    QCOMPARE(f.evictions, 1);
    const auto back = kvr::storeSamplesFromJson(kvr::storeSamplesToJson(samples));
    QCOMPARE(back.size(), samples.size());
    QCOMPARE(back[2].residentBytes, int64_t{200});
    QCOMPARE(back[2].event, std::string("evict"));
    QVERIFY(kvr::storeSamplesFromJson("[[1, 2]]").empty());
    QVERIFY(kvr::storeSamplesFromJson("").empty());
  }

  void conversationTurnsAndTruncation() {
    QCOMPARE(kvr::parseConversationTurnId("s12-t3", "x").session, std::string("s12"));
    QCOMPARE(kvr::parseConversationTurnId("s12-t3", "x").turn, 3);
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseConversationTurnId("c1-t2", "x"));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, kvr::parseConversationTurnId("s1-t0", "x"));
    QCOMPARE(kvr::lastUserTurn("Hi<|endoftext|>Hello<|endoftext|>How are you?<|endoftext|>"),
             std::string("How are you?"));
    QCOMPARE(kvr::lastUserTurn("Only"), std::string("Only"));
    kvr::PromptSet set;
    set.source = "conv.csv";
    set.prompts = {{"s1-t1", "a<|endoftext|>", 2}, {"s1-t3", "b<|endoftext|>", 3}};
    try {
      kvr::validateConversation(set);
      QFAIL("a missing turn was accepted");
    } catch (const kvr::Error& e) {
      QVERIFY2(std::string(e.what()).find("conv.csv:3: prompt 's1-t3'") != std::string::npos,
               e.what());
    }

    const kvr::Gpt2Tokenizer& tok = model_->tokenizer();
    const int eos = model_->config().eosTokenId;
    const std::vector<int> reply = {11, 12, 13};
    kvr::ConversationBook book(tok, eos, 40);
    const auto t1 = book.prompt({"s1", 1}, "Hello there", "w");
    QCOMPARE(t1.droppedTurns, 0);
    book.addReply({"s1", 1}, "Hello there", reply);
    const auto t2 = book.prompt({"s1", 2}, "And now?", "w");
    // The previous prompt and reply are exactly its prefix, then <eot>, the new turn, <eot>.
    std::vector<int> expected = t1.tokens;
    expected.insert(expected.end(), reply.begin(), reply.end());
    expected.push_back(eos);
    const std::vector<int> user = tok.encode("And now?");
    expected.insert(expected.end(), user.begin(), user.end());
    expected.push_back(eos);
    QCOMPARE(t2.tokens, expected);
    // Past the limit, the oldest exchanges go first.
    const std::vector<int> longReply(30, 14);
    book.addReply({"s1", 2}, "And now?", longReply);
    const auto t3 = book.prompt({"s1", 3}, "Last", "w");
    QCOMPARE(t3.droppedTurns, 1);
    QVERIFY(t3.tokens.size() <= 40);
    QCOMPARE(t3.tokens.front(), user.front());
  }
};

QTEST_GUILESS_MAIN(TestStoreBudget)
#include "test_store_budget.moc"
