// bench: time to first token with and without recycled K/V, per prefix
// length, loading the K/V from the on-disk store as a real run does
// (kvr::runRecyclingBench); one JSON line per prefix length.
#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "kvrecycle/recycling_bench.h"

namespace kvr::cli {
namespace {

nlohmann::ordered_json rowJson(const RecyclingBenchRow& row, const RecyclingBenchConfig& config) {
  const PromptResult& r = row.result;
  nlohmann::ordered_json line;
  line["prefix_tokens"] = row.prefixTokens;
  line["suffix_tokens"] = config.suffixTokens;
  line["new_tokens"] = config.newTokens;
  line["baseline_ttft_s"] = r.baselineTtftSeconds;
  line["baseline_ttft_iqr_s"] = r.baselineTtftIqrSeconds;
  line["recycled_ttft_s"] = r.recycledTtftSeconds;
  line["recycled_ttft_iqr_s"] = r.recycledTtftIqrSeconds;
  line["kv_load_s"] = r.kvLoadSeconds;
  line["kv_load_iqr_s"] = r.kvLoadIqrSeconds;
  line["kv_bytes"] = row.kvBytes;
  line["kv_page_cache"] = r.kvPageCache;
  line["kv_copy_rate_gbs"] = row.kvCopyRateGBs;      // K/V bytes / load seconds
  line["memcpy_copy_rate_gbs"] = row.memcpyCopyGBs;  // bytes / second of a plain memcpy
  line["in_memory_suffix_prefill_s"] = row.inMemorySuffixPrefillSeconds;
  line["ttft_ratio"] = row.ttftRatio;
  // Ideal: the suffix prefill with the prefix already in memory, plus copying
  // the prefix's K/V at the measured memcpy rate.
  line["ideal_ratio"] = row.idealRatio;
  // Without a reused prefix both arms run the same prefill: nothing to judge.
  line["exact_match"] = r.exactnessTested() ? nlohmann::ordered_json(r.exactMatch) : nullptr;
  line["noisy"] = r.noisy;
  line["noise_reason"] = r.noiseReason;
  line["remeasured_repeats"] = r.remeasuredRepeats;
  line["repeats"] = config.repeats;
  line["warmup"] = config.warmup;
  return line;
}

}  // namespace

void registerBench(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    RecyclingBenchConfig config;
    NoiseOptions noise;
    std::string store;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("bench", "TTFT with vs without recycled K/V per prefix length");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--prefix-tokens", args->config.prefixTokens, "Cached prefix lengths")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--suffix-tokens", args->config.suffixTokens, "New tokens after the prefix")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--new-tokens", args->config.newTokens, "Tokens generated")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--repeats", args->config.repeats, "Measured repeats")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->config.warmup, "Unmeasured warm-up runs")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--store", args->store, "K/V store directory (default: a temporary one)");
  addNoiseOptions(*cmd, args->noise);
  cmd->callback([args, &action] {
    action = [args] {
      RecyclingBenchConfig config = args->config;
      applyNoiseOptions(args->noise, config.noise, config.kvPageCache);
      const auto model = loadModel(args->model);
      const TempStore temp;
      config.storeDirectory = args->store.empty() ? temp.dir : std::filesystem::path(args->store);
      runRecyclingBench(*model, config, [&](const RecyclingBenchRow& row) {
        nlohmann::ordered_json line = rowJson(row, config);
        line["preset"] = model->config().syntheticPreset;
        addMachineInfo(line, *model);
        printJson(line);
      });
      return 0;
    };
  });
}

}  // namespace kvr::cli
