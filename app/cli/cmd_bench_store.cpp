// bench-store: the K/V store and its indexes at N synthetic entries (issue 11
// item 6): store open, reuse lookup p50/p99 and memory, one JSON line with the
// machine, threads and versions, and a short human summary on stderr.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/model.h"
#include "kvrecycle/store_bench.h"

namespace kvr::cli {

void registerBenchStore(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    StoreBenchConfig config;
    std::string dir, dtype = "fp32";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bench-store", "Store open time, reuse lookup p50/p99 and memory at N synthetic entries");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--entries", args->config.entries, "Synthetic entries in the store")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dir", args->dir,
                  "K/V store directory, kept so a second call reuses its entries (default: a "
                  "temporary one, removed)");
  cmd->add_option("--queries", args->config.queries, "Lookups timed")->check(CLI::PositiveNumber);
  cmd->add_option("--opens", args->config.opens, "Store opens timed (median)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rounds", args->config.rounds,
                  "Times the queries are timed; percentiles are the median round's")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--writers", args->config.writers, "Threads writing entry files")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--kv-dtype", args->dtype, "Precision of the entries")
      ->check(CLI::IsMember(kvDtypeNames()));
  cmd->add_option("--seed", args->config.seed, "Seed of the synthetic tokens and queries");
  cmd->callback([args, &action] {
    action = [args] {
      StoreBenchConfig config = args->config;
      config.dtype = parseKVDtype(args->dtype);
      ModelOptions modelOptions = args->model;
      // The entries' forward passes are tiny: one thread, not a pool that spins
      // (measured 7x faster on a busy 2-core machine).
      if (modelOptions.threads == 0) modelOptions.threads = 1;
      const auto model = loadModel(modelOptions);
      const TempStore temp;
      config.directory = args->dir.empty() ? temp.dir : std::filesystem::path(args->dir);
      const StoreBenchResult r = runStoreBench(
          *model, config, [](const std::string& line) { std::cerr << line << std::endl; });
      nlohmann::ordered_json line;
      line["entries"] = r.entries;
      line["written"] = r.written;
      line["store_bytes"] = r.storeBytes;
      line["kv_dtype"] = kvDtypeName(config.dtype);
      line["create_s"] = r.createSeconds;
      line["open_s"] = r.openSeconds;  // median of `opens`, its parts below
      line["open_catalogue_s"] = r.catalogueSeconds;
      line["open_ledger_s"] = r.ledgerSeconds;
      line["open_index_s"] = r.indexSeconds;
      line["open_trie_s"] = r.trieSeconds;
      line["opens"] = config.opens;
      line["queries"] = r.queries;
      line["hits"] = r.hits;
      line["lookup_p50_s"] = r.lookupP50Seconds;
      line["lookup_p99_s"] = r.lookupP99Seconds;
      line["lookup_max_s"] = r.lookupMaxSeconds;
      line["lookup_rounds"] = config.rounds;
      line["lookup_p99_rounds_s"] = r.lookupP99PerRound;
      line["lookup_page_faults"] = r.lookupPageFaults;
      line["index"] = r.index;
      line["recall_at_1"] = r.recallAt1;
      line["recall_queries"] = r.recallQueries;
      line["unrelated_recall_at_1"] = r.unrelatedRecallAt1;
      line["unrelated_recall_queries"] = r.unrelatedRecallQueries;
      line["rss_before_open_bytes"] = r.rssBeforeOpenBytes;
      line["rss_after_open_bytes"] = r.rssAfterOpenBytes;
      line["goal_lookup_p99_met"] = r.lookupP99Seconds < 1e-3;
      line["goal_open_met"] = r.openSeconds < 1.0;
      line["preset"] = model->config().syntheticPreset;
      addMachineInfo(line, *model);
      std::cerr << "bench-store: " << r.entries << " entries, open " << r.openSeconds * 1e3
                << " ms, lookup p50 " << r.lookupP50Seconds * 1e6 << " us, p99 "
                << r.lookupP99Seconds * 1e6 << " us, recall@1 " << r.recallAt1 << ", RSS +"
                << (r.rssAfterOpenBytes - r.rssBeforeOpenBytes) / (1024 * 1024) << " MiB"
                << std::endl;
      printJson(line);
      return 0;
    };
  });
}

}  // namespace kvr::cli
