#pragma once
// The K/V store as a run sees it under a byte budget: admissions, evictions
// (by the ledger's policy, never of a pinned entry, truncating an entry to the
// prefix its hits used when that frees enough) and the resident-bytes samples
// that make the run's footprint. The ledger is saved after every change, so
// the budget and the use history hold across program starts.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kv/entry_catalogue.h"
#include "kv/store_ledger.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/results.h"
#include "kvrecycle/timestamps.h"

namespace kvr {

class KVCache;
class Model;

class ResidentStore {
 public:
  // Reads the ledger, accounts for every entry file in the store, sets the
  // budget (kKeepStoreBudget keeps the persisted one) and evicts
  // until the store fits it; samples "start" and each eviction.
  struct Settings {
    EvictionPolicy policy = EvictionPolicy::Lru;
    int64_t budget = kKeepStoreBudget;
    KVDtype dtype = KVDtype::F32;  // of the entries admit() writes
    // value policy: seconds a reuse of `depth` tokens saves, from the fitted
    // cost model (empty: the ledger's own seconds-per-token estimate).
    std::function<double(int depth)> savedSeconds{};
  };
  ResidentStore(KVStore& kvStore, const Model& model, Settings settings,
                std::function<void(const std::string&)> log = {});
  // The same over the store's entries as readEntryCatalogue() listed them.
  ResidentStore(KVStore& kvStore, const Model& model, Settings settings,
                const std::vector<CatalogueEntry>& catalogue,
                std::function<void(const std::string&)> log = {});

  int64_t budget() const { return ledger_.budget(); }
  int64_t residentBytes() const { return ledger_.residentBytes(); }
  bool resident(const std::string& entryId) const { return ledger_.find(entryId) != nullptr; }
  const StoreLedger& ledger() const { return ledger_; }

  // A pinned entry is in use by a prompt and is never evicted.
  void pin(const std::string& entryId) { pinned_.insert(entryId); }
  void unpin(const std::string& entryId) { pinned_.erase(entryId); }

  struct Admission {
    std::string outcome;               // "admitted", "present", "refused: why"
    std::optional<KVEntryInfo> entry;  // the resident entry (unless refused)
  };
  // Stores the cache's positions as an entry, then evicts others until the
  // store fits its budget; refused (and not kept) when the entry alone is
  // larger than the budget or only entries in use could make room.
  Admission admit(const KVCache& cache, const std::string& text);
  // Accounts for an entry some other writer already saved (the cache build);
  // its sample waits for enforceBudget().
  void adopt(const KVEntryInfo& info);
  // Evicts until the resident bytes fit the budget (after adopt()), then samples.
  void enforceBudget();

  void recordHit(const std::string& entryId, int depth, double savedSeconds);
  void notePrefill(int tokens, double seconds) { ledger_.notePrefill(tokens, seconds); }
  void sample(const std::string& event);

  // Samples since the last call, in order.
  std::vector<StoreSample> takeSamples();
  // Entries removed since the last call, and the entries truncation made.
  struct Changes {
    std::vector<std::string> removed;
    std::vector<KVEntryInfo> added;
  };
  Changes takeChanges();

 private:
  // Evicts until resident + incoming <= budget; false when only pinned entries are left.
  bool makeRoom(int64_t incoming);
  int64_t evictableBytes() const;  // of the entries not pinned
  void evictOne(const StoreLedger::Eviction& eviction);
  void removeFile(const std::string& entryId);
  void persist();

  KVStore& kvStore_;
  const Model& model_;
  EvictionPolicy policy_;
  KVDtype dtype_;
  std::function<void(const std::string&)> log_;
  StoreLedger ledger_;
  std::set<std::string> pinned_;
  Stopwatch clock_;
  int64_t unboundedBytes_ = 0;
  std::vector<StoreSample> samples_;
  // Off while the store is over its budget on its way back (an admission whose
  // estimate was short, adopted entries): those events are sampled once it fits.
  bool sampling_ = true;
  std::vector<std::string> held_;
  void resumeSampling();
  Changes changes_;
};

}  // namespace kvr
