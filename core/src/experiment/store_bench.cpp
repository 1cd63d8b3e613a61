#include "kvrecycle/store_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <thread>
#include <unordered_map>

#include "experiment/cached_prompt.h"
#include "experiment/reuse_planner.h"
#include "kv/entry_catalogue.h"
#include "kv/resident_store.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/timestamps.h"
#include "kvrecycle/tokenizer.h"
#include "text/utf8.h"

namespace kvr {
namespace {

namespace fs = std::filesystem;

constexpr int kTurns = 8;       // entries per synthetic session
constexpr int kBaseTokens = 4;  // a session's opening
constexpr int kTurnTokens = 2;  // tokens each turn adds

uint64_t mix(uint64_t x) {  // splitmix64: the same tokens for the same N and seed
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Entry i: session i / kTurns, turn i % kTurns; each turn extends the previous
// one, so sessions share prefixes as conversations in an online store do.
std::vector<int> entryTokens(const Model& model, unsigned seed, int i) {
  const uint64_t vocab = static_cast<uint64_t>(std::max(2, model.config().vocabSize - 1));
  const uint64_t session = static_cast<uint64_t>(i / kTurns);
  const int turn = i % kTurns;
  std::vector<int> tokens;
  for (int t = 0; t < kBaseTokens + kTurnTokens * (turn + 1); ++t) {
    tokens.push_back(static_cast<int>(mix((uint64_t{seed} << 40) ^ (session << 8) ^ t) % vocab));
  }
  return tokens;
}

std::string textOf(const Model& model, const std::vector<int>& tokens) {
  return text::toValidUtf8(model.tokenizer().decode(tokens));
}

// Page faults of this process so far: a lookup that faults re-reads memory
// the kernel took away (on a VM whose host reclaims cold pages, the mapped
// index's vectors), which its timing alone would not show.
int64_t pageFaults() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_minflt + usage.ru_majflt);
}

int64_t residentSetBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

fs::path indexPath(const fs::path& dir, const StoreBenchConfig& config) {
  return dir / "indexes" /
         ("bench-store-" + std::to_string(config.entries) + "-" + std::to_string(config.seed) +
          ".faiss");
}

// Writes the entries the store lacks (forward passes here, file writes with
// their fsyncs on `writers` threads) and the embedding index over all of them.
int createEntries(const Model& model, const StoreBenchConfig& config, const KVStore& store,
                  const Embedder& embedder, const std::function<void(const std::string&)>& log) {
  const int writers = std::max(1, config.writers);
  std::vector<std::unique_ptr<KVCache>> caches;
  for (int w = 0; w < writers; ++w) caches.push_back(model.newCache(64));
  std::vector<std::string> texts(static_cast<size_t>(writers));
  // Rows in synthetic order; a store that has the index for this N and seed keeps it.
  const fs::path indexFile = indexPath(store.directory(), config);
  const bool haveIndex = fs::exists(indexFile);
  EmbeddingIndex index(embedder.dimension());
  int written = 0;
  for (int start = 0; start < config.entries; start += writers) {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(static_cast<size_t>(writers));
    for (int w = 0; w < writers && start + w < config.entries; ++w) {
      const std::vector<int> tokens = entryTokens(model, config.seed, start + w);
      texts[static_cast<size_t>(w)] = textOf(model, tokens);
      if (!haveIndex) index.add(embedder.embed(texts[static_cast<size_t>(w)]));
      const std::string id = KVStore::entryIdFor(model.fingerprint(), tokens, config.dtype);
      if (store.contains(id)) continue;
      KVCache& cache = *caches[static_cast<size_t>(w)];
      cache.reset();
      model.forward(cache, tokens);
      ++written;
      threads.emplace_back([&, w] {
        try {
          store.save(model, *caches[static_cast<size_t>(w)], texts[static_cast<size_t>(w)],
                     config.dtype);
        } catch (...) {
          errors[static_cast<size_t>(w)] = std::current_exception();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    if (log && (start / writers) % 2000 == 0 && start > 0) {
      log("bench-store: " + std::to_string(start) + " of " + std::to_string(config.entries));
    }
  }
  if (!haveIndex) {
    index.useGraphIfLarge();  // as a run's cache build does
    fs::create_directories(store.directory() / "indexes");
    index.save(indexFile);
  } else {  // as a run's cache build does with an index saved by an older version
    EmbeddingIndex saved = EmbeddingIndex::load(indexFile, embedder.dimension());
    if (saved.fileIsOutdated()) saved.save(indexFile);
  }
  return written;
}

struct OpenedStore {
  std::vector<CachedPrompt> entries;
  std::string index;  // its kind
  std::optional<ReusePlanner> planner;
};

// What a run pays before its first prompt, phase by phase. (The planner
// refers to the entries, so both live in `opened`.)
void openStore(const Model& model, const StoreBenchConfig& config, const Embedder& embedder,
               OpenedStore& opened, StoreBenchResult& times) {
  opened.planner.reset();
  opened.entries.clear();
  Stopwatch clock;
  KVStore store(config.directory);
  const std::vector<CatalogueEntry> catalogue = readEntryCatalogue(store, {});
  times.catalogueSeconds = clock.seconds();
  clock = Stopwatch();
  ResidentStore resident(store, model, {EvictionPolicy::Lru, kKeepStoreBudget, config.dtype, {}},
                         catalogue);
  times.ledgerSeconds = clock.seconds();
  clock = Stopwatch();
  EmbeddingIndex index =
      EmbeddingIndex::load(indexPath(config.directory, config), embedder.dimension());
  // The index rows follow the synthetic order: entries are put in it.
  std::unordered_map<std::string, const CatalogueEntry*> byId;
  for (const CatalogueEntry& e : catalogue) byId.emplace(e.id, &e);
  for (int i = 0; i < config.entries; ++i) {
    const std::string id =
        KVStore::entryIdFor(model.fingerprint(), entryTokens(model, config.seed, i), config.dtype);
    const auto it = byId.find(id);
    if (it == byId.end() || !it->second->readable)
      throw Error("bench-store: entry " + id + " is missing");
    opened.entries.push_back({id, it->second->text, it->second->tokens, id, {}});
  }
  times.indexSeconds = clock.seconds();
  opened.index = index.kind();
  clock = Stopwatch();
  opened.planner.emplace(ReusePolicy::LongestPrefix, 1, opened.entries, std::move(index));
  times.trieSeconds = clock.seconds();
}

}  // namespace

StoreBenchResult runStoreBench(const Model& model, const StoreBenchConfig& config,
                               const std::function<void(const std::string&)>& log) {
  if (config.entries < 1) throw Error("bench-store needs at least 1 entry");
  if (config.queries < 1 || config.opens < 1 || config.rounds < 1) {
    throw Error("bench-store needs queries, opens and rounds");
  }
  if (config.directory.empty()) throw Error("bench-store needs a store directory");
  StoreBenchResult result;
  result.entries = config.entries;
  const auto embedder = makeHashedNgramEmbedder();
  {
    const Stopwatch clock;
    KVStore store(config.directory);
    result.written = createEntries(model, config, store, *embedder, log);
    // The first open accounts for new files in the ledger; it is not timed.
    ResidentStore first(store, model, {EvictionPolicy::Lru, kKeepStoreBudget, config.dtype, {}});
    result.storeBytes = first.residentBytes();
    result.createSeconds = clock.seconds();
  }
  result.rssBeforeOpenBytes = residentSetBytes();
  std::vector<StoreBenchResult> opens(static_cast<size_t>(config.opens));
  OpenedStore opened;
  for (StoreBenchResult& times : opens) {
    const Stopwatch clock;
    openStore(model, config, *embedder, opened, times);
    times.openSeconds = clock.seconds();
  }
  result.rssAfterOpenBytes = residentSetBytes();
  const auto median = [&opens](double StoreBenchResult::*field) {
    std::vector<double> v;
    for (const StoreBenchResult& o : opens) v.push_back(o.*field);
    return summarize(std::move(v)).median;
  };
  for (double StoreBenchResult::*field :
       {&StoreBenchResult::openSeconds, &StoreBenchResult::catalogueSeconds,
        &StoreBenchResult::ledgerSeconds, &StoreBenchResult::indexSeconds,
        &StoreBenchResult::trieSeconds}) {
    result.*field = median(field);
  }

  // Queries: 4 in 5 continue a stored entry (a prefix of it plus new tokens),
  // the rest are unrelated; embeddings are made before the clock starts.
  std::mt19937 random(config.seed);
  std::vector<std::vector<int>> queries;
  std::vector<std::vector<float>> embeddings;
  std::vector<bool> related;  // continues a stored entry
  for (int q = 0; q < config.queries; ++q) {
    const bool unrelated = random() % 5 == 0;
    std::vector<int> tokens =
        entryTokens(model, config.seed + (unrelated ? 1u : 0u),
                    static_cast<int>(random() % static_cast<unsigned>(config.entries)));
    tokens.resize(1 + random() % tokens.size());
    for (int t = 0; t < 3; ++t) tokens.push_back(static_cast<int>(random() % 50000));
    embeddings.push_back(embedder->embed(textOf(model, tokens)));
    queries.push_back(std::move(tokens));
    related.push_back(!unrelated);
  }
  // The query set is timed `rounds` times: a burst of noise (another process,
  // the hypervisor) lands in one round, and the median round reports the store.
  std::vector<double> p50s, p99s;
  const int64_t faultsBefore = pageFaults();
  for (int round = 0; round < config.rounds; ++round) {
    std::vector<double> seconds;
    int hits = 0;
    for (int q = 0; q < config.queries; ++q) {
      const Stopwatch clock;
      const ReusePlan plan =
          opened.planner->plan(queries[static_cast<size_t>(q)], embeddings[static_cast<size_t>(q)]);
      seconds.push_back(clock.seconds());
      hits += plan.entry >= 0 ? 1 : 0;
    }
    std::sort(seconds.begin(), seconds.end());
    const auto at = [&seconds](double p) {
      return seconds[std::min(seconds.size() - 1, static_cast<size_t>(p * seconds.size()))];
    };
    p50s.push_back(at(0.50));
    p99s.push_back(at(0.99));
    result.lookupMaxSeconds = std::max(result.lookupMaxSeconds, seconds.back());
    result.hits = hits;  // the same every round
  }
  result.lookupP99PerRound = p99s;
  result.lookupPageFaults = pageFaults() - faultsBefore;
  // The index's top-1 against the exact one (ties count as found), on a sample
  // (exact search reads every vector), apart for prompts that continue a
  // stored entry and for unrelated ones, whose best match is a weak one among
  // many nearly as weak.
  const EmbeddingIndex& index = opened.planner->index();
  int found[2] = {0, 0}, asked[2] = {0, 0};
  for (int q = 0; q < std::min(config.queries, 400); ++q) {
    const auto& e = embeddings[static_cast<size_t>(q)];
    const auto approximate = index.search(e, 1);
    const auto exact = index.searchExact(e, 1);
    const int kind = related[static_cast<size_t>(q)] ? 0 : 1;
    ++asked[kind];
    found[kind] +=
        !exact.empty() && !approximate.empty() && approximate[0].score >= exact[0].score - 1e-5f;
  }
  result.recallQueries = asked[0];
  result.recallAt1 = asked[0] > 0 ? static_cast<double>(found[0]) / asked[0] : 1.0;
  result.unrelatedRecallQueries = asked[1];
  result.unrelatedRecallAt1 = asked[1] > 0 ? static_cast<double>(found[1]) / asked[1] : 1.0;
  result.queries = config.queries;
  result.lookupP50Seconds = summarize(std::move(p50s)).median;
  result.lookupP99Seconds = summarize(std::move(p99s)).median;
  result.index = opened.index;
  return result;
}

}  // namespace kvr
