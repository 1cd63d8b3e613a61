#pragma once
// The K/V store at scale, behind `kvrecycle-cli bench-store` (issue 11 item 6):
// N synthetic entries written through the real KVStore write path (small K/V
// of short token sequences shaped like conversations: sessions of turns that
// extend one another), then what a run pays to open the store (the entry
// catalogue: every entry's size and tokens; the ledger; the embedding index;
// the prefix trie) and the reuse planner's lookup per prompt (prefix trie +
// faiss top-1), the faiss top-1's recall against exact search, and the
// process's resident memory before and after the open.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kvrecycle/kv_dtype.h"

namespace kvr {

class Model;

struct StoreBenchConfig {
  int entries = 1000;
  std::filesystem::path directory;  // entries already there (same model and N) are reused
  int queries = 2000;               // lookups timed
  int rounds = 3;                   // times the queries are timed (median round reported)
  int opens = 3;                    // store opens timed (median)
  int writers = 8;                  // threads writing entry files (each one fsyncs)
  KVDtype dtype = KVDtype::F32;
  unsigned seed = 1;
};

struct StoreBenchResult {
  int entries = 0;
  int written = 0;  // entries this call wrote (the rest were already in the store)
  int64_t storeBytes = 0;
  double createSeconds = 0;  // writing the missing entries and the index
  // A store open, median over config.opens, and its parts.
  double openSeconds = 0;
  double catalogueSeconds = 0;  // every entry's size, token ids and text (entry_catalogue.bin)
  double ledgerSeconds = 0;     // store_state.bin, reconciled with the files
  double indexSeconds = 0;      // the persisted faiss index and its rows' entries
  double trieSeconds = 0;       // the reuse planner: prefix trie over all entries
  int queries = 0;
  int hits = 0;                 // lookups that found a reusable prefix
  double lookupP50Seconds = 0;  // median over the rounds of each round's
  double lookupP99Seconds = 0;
  double lookupMaxSeconds = 0;  // over all rounds
  std::vector<double> lookupP99PerRound;
  int64_t lookupPageFaults = 0;  // during all rounds (0 when the index stayed in memory)
  // Share of queries whose top-1 from the index scores as the exact top-1, on
  // a sample searched exactly too: prompts continuing a stored entry, and unrelated ones.
  int recallQueries = 0;
  double recallAt1 = 0;
  int unrelatedRecallQueries = 0;
  double unrelatedRecallAt1 = 0;
  int64_t rssBeforeOpenBytes = 0;
  int64_t rssAfterOpenBytes = 0;
  std::string index;  // the faiss index type used
};

StoreBenchResult runStoreBench(const Model& model, const StoreBenchConfig& config,
                               const std::function<void(const std::string&)>& log = {});

}  // namespace kvr
