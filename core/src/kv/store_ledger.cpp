#include "kv/store_ledger.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "io/checksummed_record.h"
#include "kvrecycle/error.h"

namespace kvr {
namespace {

constexpr const char* kFormat = "kvrecycle-store-state";  // the legacy JSON's
// Binary layout (io/checksummed_record.h): int64 budget, uint64 tick, double
// seconds per prefill token, uint32 count, then per entry in id order: id
// (uint32 length, bytes), int64 bytes, int32 tokens, uint64 admitted tick,
// uint64 last-use tick, int64 uses, int64 hits, int32 max hit depth, double
// seconds saved.
constexpr char kMagic[8] = {'K', 'V', 'R', 'L', 'E', 'D', 'G', '1'};

LedgerEntry entryFrom(const nlohmann::json& j) {
  LedgerEntry e;
  e.id = j.at("id").get<std::string>();
  e.bytes = j.at("bytes").get<int64_t>();
  e.tokens = j.at("tokens").get<int>();
  e.admittedTick = j.at("admitted_tick").get<uint64_t>();
  e.lastUseTick = j.at("last_use_tick").get<uint64_t>();
  e.uses = j.at("uses").get<int64_t>();
  e.hits = j.at("hits").get<int64_t>();
  e.maxHitDepth = j.at("max_hit_depth").get<int>();
  e.savedSeconds = j.at("saved_s").get<double>();
  if (e.id.empty() || e.bytes < 0 || e.tokens < 0 || e.maxHitDepth < 0) {
    throw Error("entry '" + e.id + "' has a negative size or no id");
  }
  return e;
}

}  // namespace

StoreLedger StoreLedger::loadLegacyJson(const std::filesystem::path& file) {
  StoreLedger ledger;
  std::ifstream in(file, std::ios::binary);
  if (!in) return ledger;
  ledger.fromLegacyFile_ = true;
  std::stringstream text;
  text << in.rdbuf();
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    if (j.at("format").get<std::string>() != kFormat) throw Error("not a K/V store state file");
    const int version = j.at("version").get<int>();
    if (version != 1) {
      throw Error("store state version " + std::to_string(version) + " is not supported");
    }
    ledger.budget_ = j.at("budget_bytes").get<int64_t>();
    ledger.tick_ = j.at("tick").get<uint64_t>();
    ledger.secondsPerToken_ = j.at("seconds_per_prefill_token").get<double>();
    for (const auto& e : j.at("entries")) {
      LedgerEntry entry = entryFrom(e);
      ledger.entries_[entry.id] = entry;
    }
    if (ledger.budget_ < 0) throw Error("negative budget");
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": corrupt K/V store state: " + e.what());
  } catch (const Error& e) {
    throw Error(file.string() + ": corrupt K/V store state: " + e.what());
  }
  return ledger;
}

StoreLedger StoreLedger::load(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    return loadLegacyJson(file.parent_path() / kLegacyFileName);
  }
  StoreLedger ledger;
  io::RecordReader r(file, kMagic, "K/V store state");
  ledger.budget_ = r.get<int64_t>();
  ledger.tick_ = r.get<uint64_t>();
  ledger.secondsPerToken_ = r.get<double>();
  const auto count = r.get<uint32_t>();
  constexpr size_t kLeastEntryBytes = 4 + 8 + 4 + 8 * 4 + 4 + 8;  // all but the id's characters
  if (count > r.left() / kLeastEntryBytes) r.fail("is truncated");
  if (ledger.budget_ < 0) r.fail("has a negative budget");
  for (uint32_t i = 0; i < count; ++i) {
    LedgerEntry e;
    e.id = r.getString();
    e.bytes = r.get<int64_t>();
    e.tokens = r.get<int32_t>();
    e.admittedTick = r.get<uint64_t>();
    e.lastUseTick = r.get<uint64_t>();
    e.uses = r.get<int64_t>();
    e.hits = r.get<int64_t>();
    e.maxHitDepth = r.get<int32_t>();
    e.savedSeconds = r.get<double>();
    if (e.id.empty() || e.bytes < 0 || e.tokens < 0 || e.maxHitDepth < 0) {
      r.fail("has entry '" + e.id + "' with a negative size or no id");
    }
    // Saved in id order: each goes at the end, no search.
    ledger.entries_.emplace_hint(ledger.entries_.end(), e.id, e);
  }
  if (!r.done()) r.fail("has trailing bytes");
  return ledger;
}

void StoreLedger::save(const std::filesystem::path& file) const {
  io::RecordWriter out(kMagic);
  out.put(budget_);
  out.put(tick_);
  out.put(secondsPerToken_);
  out.put(static_cast<uint32_t>(entries_.size()));
  for (const auto& [id, e] : entries_) {
    out.putString(e.id);
    out.put(e.bytes);
    out.put(static_cast<int32_t>(e.tokens));
    out.put(e.admittedTick);
    out.put(e.lastUseTick);
    out.put(e.uses);
    out.put(e.hits);
    out.put(static_cast<int32_t>(e.maxHitDepth));
    out.put(e.savedSeconds);
  }
  out.writeTo(file);
  // The binary file replaces the JSON of version 0.1 stores.
  std::error_code ignored;
  std::filesystem::remove(file.parent_path() / kLegacyFileName, ignored);
}

void StoreLedger::setBudget(int64_t bytes) {
  if (bytes < 0) throw Error("a store budget cannot be negative");
  budget_ = bytes;
}

int64_t StoreLedger::residentBytes() const {
  int64_t total = 0;
  for (const auto& [id, e] : entries_) total += e.bytes;
  return total;
}

const LedgerEntry* StoreLedger::find(const std::string& id) const {
  const auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

void StoreLedger::reconcile(const std::vector<StoredFile>& files) {
  std::map<std::string, LedgerEntry> kept;
  for (const StoredFile& f : files) {
    const auto it = entries_.find(f.id);
    LedgerEntry e = it != entries_.end() ? it->second : LedgerEntry{};
    e.id = f.id;
    e.bytes = f.bytes;
    e.tokens = f.tokens;
    kept[f.id] = e;  // a file unknown to the ledger keeps ticks 0: the oldest
  }
  entries_ = std::move(kept);
}

void StoreLedger::admit(const std::string& id, int64_t bytes, int tokens) {
  ++tick_;
  auto [it, added] = entries_.try_emplace(id);
  LedgerEntry& e = it->second;
  if (added) {
    e.id = id;
    e.admittedTick = tick_;
  }
  e.bytes = bytes;
  e.tokens = tokens;
  e.lastUseTick = tick_;
  ++e.uses;
}

void StoreLedger::recordHit(const std::string& id, int depth, double savedSeconds) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;  // evicted meanwhile (by another process)
  ++tick_;
  LedgerEntry& e = it->second;
  e.lastUseTick = tick_;
  ++e.uses;
  ++e.hits;
  e.maxHitDepth = std::max(e.maxHitDepth, depth);
  e.savedSeconds += savedSeconds;
}

void StoreLedger::remove(const std::string& id) {
  entries_.erase(id);
}

void StoreLedger::inherit(const LedgerEntry& old, const std::string& id, int64_t bytes,
                          int tokens) {
  LedgerEntry e = old;
  e.id = id;
  e.bytes = bytes;
  e.tokens = tokens;
  e.maxHitDepth = std::min(old.maxHitDepth, tokens);
  entries_[id] = e;
}

void StoreLedger::notePrefill(int tokens, double seconds) {
  if (tokens <= 0 || !(seconds > 0)) return;
  const double perToken = seconds / tokens;
  secondsPerToken_ = secondsPerToken_ > 0 ? 0.8 * secondsPerToken_ + 0.2 * perToken : perToken;
}

double StoreLedger::valuePerByte(const LedgerEntry& e) const {
  if (e.bytes <= 0) return 0;
  const double age = static_cast<double>(tick_ - std::min(tick_, e.admittedTick));
  const double pReuse = (static_cast<double>(e.hits) + 1.0) / (age + 2.0);
  const int depth = e.maxHitDepth > 0 ? e.maxHitDepth : e.tokens;
  if (savedSeconds_) {
    return pReuse * std::max(0.0, savedSeconds_(depth)) / static_cast<double>(e.bytes);
  }
  // Without a measured prefill rate every entry gets the same rate: only the ratio matters.
  const double perToken = secondsPerToken_ > 0 ? secondsPerToken_ : 1e-3;
  return pReuse * perToken * depth / static_cast<double>(e.bytes);
}

std::optional<StoreLedger::Eviction> StoreLedger::chooseEviction(
    EvictionPolicy policy, int64_t bytesToFree, const std::set<std::string>& pinned) const {
  const LedgerEntry* victim = nullptr;
  // Smaller key = evicted first; ties go to the least recently used, then the id.
  const auto key = [&](const LedgerEntry& e) {
    double primary = 0;
    if (policy == EvictionPolicy::Lfu) primary = static_cast<double>(e.uses);
    if (policy == EvictionPolicy::Value) primary = valuePerByte(e);
    return std::make_tuple(primary, e.lastUseTick, e.id);
  };
  for (const auto& [id, e] : entries_) {
    if (pinned.count(id) != 0) continue;
    if (victim == nullptr || key(e) < key(*victim)) victim = &e;
  }
  if (victim == nullptr) return std::nullopt;
  Eviction eviction{victim->id, 0};
  const int depth = victim->maxHitDepth;
  if (depth > 0 && depth < victim->tokens) {
    const int64_t kept = victim->bytes * depth / victim->tokens;
    if (victim->bytes - kept >= bytesToFree) eviction.truncateTo = depth;
  }
  return eviction;
}

}  // namespace kvr
