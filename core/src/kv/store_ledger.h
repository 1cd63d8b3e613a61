#pragma once
// The K/V store's bookkeeping under a byte budget: which entries are resident,
// their bytes and use history, and which entry to evict next. Persisted beside
// the entries (store_state.bin, checksummed binary: at 100 000 entries its
// JSON predecessor took 0.37 s to parse) so the budget and the history survive
// program starts. No torch, no files of entries: kv/resident_store.h acts on its choices.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kvrecycle/store_budget.h"

namespace kvr {

struct LedgerEntry {
  std::string id;
  int64_t bytes = 0;  // file size
  int tokens = 0;
  uint64_t admittedTick = 0;
  uint64_t lastUseTick = 0;
  int64_t uses = 0;         // its admission plus its hits
  int64_t hits = 0;         // prompts that reused it
  int maxHitDepth = 0;      // deepest reuse so far, tokens (0: never reused)
  double savedSeconds = 0;  // TTFT seconds its hits saved, as measured
};

// A file found in the store: what reconcile() needs to account for it.
struct StoredFile {
  std::string id;
  int64_t bytes = 0;
  int tokens = 0;
};

class StoreLedger {
 public:
  static constexpr const char* kFileName = "store_state.bin";
  static constexpr const char* kLegacyFileName = "store_state.json";  // kvrecycle 0.1

  // A missing file gives the legacy JSON beside it (the next save replaces
  // it), else an empty ledger without a budget; a corrupt one is a kvr::Error
  // naming it.
  static StoreLedger load(const std::filesystem::path& file);
  void save(const std::filesystem::path& file) const;  // atomically; removes the legacy JSON
  // Loaded from the legacy JSON: a save would replace it with the binary file.
  bool fileIsOutdated() const { return fromLegacyFile_; }

  int64_t budget() const { return budget_; }  // 0: no budget
  void setBudget(int64_t bytes);
  int64_t residentBytes() const;
  const LedgerEntry* find(const std::string& id) const;
  const std::map<std::string, LedgerEntry>& entries() const { return entries_; }

  // Agrees with the files on disk: unknown files become entries never used
  // since before everything else, entries whose file is gone are forgotten.
  void reconcile(const std::vector<StoredFile>& files);
  // A new entry, or one admitted again (which counts as a use).
  void admit(const std::string& id, int64_t bytes, int tokens);
  void recordHit(const std::string& id, int depth, double savedSeconds);
  void remove(const std::string& id);
  // A truncated copy of `old` now lives under `id` with `tokens` tokens: it keeps old's history.
  void inherit(const LedgerEntry& old, const std::string& id, int64_t bytes, int tokens);
  // A prefill of `tokens` took `seconds`: refines the seconds-per-token estimate
  // that values an entry (an exponential average, so it follows the machine).
  void notePrefill(int tokens, double seconds);
  double secondsPerPrefillToken() const { return secondsPerToken_; }
  // Seconds a reuse of `depth` tokens saves (prefill avoided minus the load),
  // from the fitted cost model; when set, valuePerByte uses it instead of the
  // seconds-per-token estimate. Not persisted: the cost model is.
  void setSavingEstimate(std::function<double(int depth)> savedSeconds) {
    savedSeconds_ = std::move(savedSeconds);
  }

  // value policy: expected prefill seconds the entry saves, per byte:
  //   P(reuse) x seconds saved by depth tokens / bytes, where depth is its deepest
  //   reuse so far (all its tokens before a first hit) and P(reuse) is
  //   (hits + 1) / (events since admission + 2) (Laplace's rule over the
  //   ledger's clock, which ticks at every admission and hit); the seconds are
  //   the saving estimate's when set, else seconds per token x depth.
  double valuePerByte(const LedgerEntry& entry) const;

  struct Eviction {
    std::string id;
    int truncateTo = 0;  // > 0: keep this many leading tokens instead of dropping the entry
  };
  // The next entry to evict to free `bytesToFree`, never a pinned one; nullopt
  // when every entry is pinned. An entry whose reuse never went past depth d
  // is truncated to d when that alone frees enough (estimated by its share of
  // the tokens), else it is dropped.
  std::optional<Eviction> chooseEviction(EvictionPolicy policy, int64_t bytesToFree,
                                         const std::set<std::string>& pinned) const;

 private:
  static StoreLedger loadLegacyJson(const std::filesystem::path& file);

  bool fromLegacyFile_ = false;
  int64_t budget_ = 0;
  uint64_t tick_ = 0;
  double secondsPerToken_ = 0;
  std::function<double(int)> savedSeconds_;
  std::map<std::string, LedgerEntry> entries_;
};

}  // namespace kvr
