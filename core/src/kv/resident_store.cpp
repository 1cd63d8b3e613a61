#include "kv/resident_store.h"

#include <algorithm>

#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "kvrecycle/tokenizer.h"
#include "text/utf8.h"

namespace kvr {
namespace fs = std::filesystem;

ResidentStore::ResidentStore(KVStore& kvStore, const Model& model, Settings settings,
                             std::function<void(const std::string&)> log)
    : ResidentStore(kvStore, model, std::move(settings), readEntryCatalogue(kvStore, log),
                    std::move(log)) {}

ResidentStore::ResidentStore(KVStore& kvStore, const Model& model, Settings settings,
                             const std::vector<CatalogueEntry>& catalogue,
                             std::function<void(const std::string&)> log)
    : kvStore_(kvStore),
      model_(model),
      policy_(settings.policy),
      dtype_(settings.dtype),
      log_(std::move(log)) {
  const int64_t budget = settings.budget;
  const fs::path file = kvStore_.directory() / StoreLedger::kFileName;
  ledger_ = StoreLedger::load(file);
  ledger_.setSavingEstimate(std::move(settings.savedSeconds));
  std::vector<StoredFile> files;
  bool learned = false;  // files the ledger did not know (as they are): remembered below
  for (const CatalogueEntry& entry : catalogue) {
    // Unreadable files (no tokens) still take space: accountable and evictable.
    StoredFile f{entry.id, entry.bytes, static_cast<int>(entry.tokens.size())};
    const LedgerEntry* known = ledger_.find(entry.id);
    learned = learned || known == nullptr || known->bytes != f.bytes;
    files.push_back(f);
  }
  const bool forgot = files.size() != ledger_.entries().size();
  ledger_.reconcile(files);
  const bool newBudget = budget >= 0 && budget != ledger_.budget();
  if (newBudget) ledger_.setBudget(budget);
  unboundedBytes_ = ledger_.residentBytes();
  // A budget lowered since the last run is met before the run's first sample.
  sampling_ = false;
  if (!makeRoom(0) && log_) log_("K/V store: cannot meet the budget at start");
  const bool evicted = !held_.empty();
  held_.clear();  // the evictions of a lowered budget belong to no run
  resumeSampling();
  sample("start");
  // Nothing is written until something changed: opening a store leaves it as
  // it was.
  if (newBudget || evicted || learned || forgot || ledger_.fileIsOutdated()) persist();
}

void ResidentStore::sample(const std::string& event) {
  if (!sampling_) {
    held_.push_back(event);  // sampled once the store is back within its budget
    return;
  }
  samples_.push_back({clock_.seconds(), ledger_.residentBytes(), unboundedBytes_, event});
}

void ResidentStore::resumeSampling() {
  sampling_ = true;
  std::vector<std::string> held;
  held.swap(held_);
  for (const std::string& event : held) sample(event);
}

std::vector<StoreSample> ResidentStore::takeSamples() {
  std::vector<StoreSample> taken;
  taken.swap(samples_);
  return taken;
}

ResidentStore::Changes ResidentStore::takeChanges() {
  Changes taken;
  std::swap(taken, changes_);
  return taken;
}

void ResidentStore::persist() {
  ledger_.save(kvStore_.directory() / StoreLedger::kFileName);
}

void ResidentStore::removeFile(const std::string& entryId) {
  std::error_code ec;
  fs::remove(kvStore_.pathFor(entryId), ec);
  if (ec) throw Error(kvStore_.pathFor(entryId).string() + ": cannot evict: " + ec.message());
  ledger_.remove(entryId);
  changes_.removed.push_back(entryId);
}

void ResidentStore::evictOne(const StoreLedger::Eviction& eviction) {
  if (eviction.truncateTo > 0) {
    try {
      const auto cache = model_.newCache(eviction.truncateTo);
      const KVEntryInfo whole =
          kvStore_.loadPrefix(model_, eviction.id, eviction.truncateTo, *cache);
      const std::string text = text::toValidUtf8(model_.tokenizer().decode(cache->tokens()));
      const LedgerEntry old = *ledger_.find(eviction.id);
      const KVEntryInfo shorter =
          kvStore_.save(model_, *cache, text, kvDtypeFromStorageName(whole.dtype));
      removeFile(eviction.id);
      if (!resident(shorter.entryId)) {
        // The shorter entry carries the history that chose its length.
        ledger_.inherit(old, shorter.entryId, shorter.bytes, eviction.truncateTo);
        changes_.added.push_back(shorter);
      }
      sample("truncate");
      return;
    } catch (const Error& e) {
      if (log_) log_(std::string("K/V store: dropping instead of truncating: ") + e.what());
    }
  }
  removeFile(eviction.id);
  sample("evict");
}

int64_t ResidentStore::evictableBytes() const {
  int64_t total = 0;
  for (const auto& [id, e] : ledger_.entries()) total += pinned_.count(id) == 0 ? e.bytes : 0;
  return total;
}

bool ResidentStore::makeRoom(int64_t incoming) {
  const int64_t budget = ledger_.budget();
  if (budget <= 0) return true;
  // Evicting everything evictable would not be enough: evict nothing.
  if (ledger_.residentBytes() - evictableBytes() + incoming > budget) return false;
  while (ledger_.residentBytes() + incoming > budget) {
    const int64_t excess = ledger_.residentBytes() + incoming - budget;
    const auto eviction = ledger_.chooseEviction(policy_, excess, pinned_);
    if (!eviction) return false;
    evictOne(*eviction);
  }
  return true;
}

ResidentStore::Admission ResidentStore::admit(const KVCache& cache, const std::string& text) {
  Admission a;
  const std::string id = KVStore::entryIdFor(model_.fingerprint(), cache.tokens(), dtype_);
  if (const LedgerEntry* known = ledger_.find(id); known != nullptr && kvStore_.contains(id)) {
    ledger_.admit(id, known->bytes, known->tokens);
    persist();
    a.outcome = "present";
    a.entry = kvStore_.inspect(id);
    return a;
  }
  const int64_t budget = ledger_.budget();
  const auto tooLarge = [budget](int64_t bytes) {
    return "refused: the entry (" + std::to_string(bytes) +
           " bytes) is larger than the store budget (" + std::to_string(budget) + " bytes)";
  };
  // The K/V data alone is a lower bound on the file: no need to write what cannot fit.
  const int64_t dataBytes = int64_t{cache.length()} * cache.bytesPerPosition();
  if (budget > 0 && dataBytes > budget) {
    a.outcome = tooLarge(dataBytes);
    return a;
  }
  const KVEntryInfo info = kvStore_.save(model_, cache, text, dtype_);
  if (budget > 0 && info.bytes > budget) {
    std::error_code ec;
    fs::remove(info.path, ec);
    a.outcome = tooLarge(info.bytes);
    return a;
  }
  if (budget > 0 && ledger_.residentBytes() - evictableBytes() + info.bytes > budget) {
    std::error_code ec;
    fs::remove(info.path, ec);
    a.outcome = "refused: only entries in use are left to evict";
    return a;
  }
  ledger_.admit(info.entryId, info.bytes, static_cast<int>(info.tokenIds.size()));
  unboundedBytes_ += info.bytes;
  // Over budget from the write until the evictions are done: not a state to sample.
  sampling_ = false;
  pin(info.entryId);
  makeRoom(0);  // cannot fail: enough unpinned bytes were checked above
  unpin(info.entryId);
  resumeSampling();
  sample("admit");
  persist();
  a.outcome = "admitted";
  a.entry = info;
  return a;
}

void ResidentStore::adopt(const KVEntryInfo& info) {
  const bool known = resident(info.entryId);
  ledger_.admit(info.entryId, info.bytes, static_cast<int>(info.tokenIds.size()));
  if (!known) {
    unboundedBytes_ += info.bytes;
    sampling_ = false;  // possibly over budget until enforceBudget()
    sample("admit");
  }
  persist();
}

void ResidentStore::enforceBudget() {
  if (!makeRoom(0) && log_) log_("K/V store: only entries in use are left; over budget");
  resumeSampling();
  persist();
}

void ResidentStore::recordHit(const std::string& entryId, int depth, double savedSeconds) {
  ledger_.recordHit(entryId, depth, savedSeconds);
  persist();
}

}  // namespace kvr
