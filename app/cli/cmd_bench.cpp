// bench: time to first token with and without recycled K/V, per prefix
// length, loading the K/V from the on-disk store as a real run does.
#include <chrono>
#include <cstdlib>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/system_info.h"

namespace kvr::cli {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Samples {
  std::vector<double> baselineTtft, recycledTtft, load, inMemoryPrefill;
};

// A scratch K/V store that removes itself.
struct TempStore {
  std::filesystem::path dir;
  TempStore() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kvrecycle-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary K/V store");
    dir = pattern;
  }
  ~TempStore() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

void registerBench(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    std::vector<int> prefixTokens = {0, 32, 128, 480};
    int suffixTokens = 32, newTokens = 16, repeats = 5, warmup = 1;
    std::string store;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("bench", "TTFT with vs without recycled K/V per prefix length");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--prefix-tokens", args->prefixTokens, "Cached prefix lengths")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--suffix-tokens", args->suffixTokens, "New tokens after the prefix")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--new-tokens", args->newTokens, "Tokens generated")->check(CLI::PositiveNumber);
  cmd->add_option("--repeats", args->repeats, "Measured repeats")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "Unmeasured warm-up runs")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--store", args->store, "K/V store directory (default: a temporary one)");
  cmd->callback([args, &action] {
    action = [args] {
      const auto model = loadModel(args->model);
      const TempStore temp;
      const KVStore store(args->store.empty() ? temp.dir : std::filesystem::path(args->store));
      const double bandwidth = measureMemcpyBandwidthGBs();
      GenerationOptions options;
      options.maxNewTokens = args->newTokens;
      options.ignoreEos = true;
      const auto cache = model->newCache();
      const auto held = model->newCache();  // the prefix kept in memory, for the ideal

      for (const int prefix : args->prefixTokens) {
        const std::vector<int> prompt =
            syntheticTokens(prefix + args->suffixTokens, model->config().vocabSize, 977 + prefix);
        std::string entry;
        held->truncate(0);
        if (prefix > 0) {
          model->forward(*held, std::vector<int>(prompt.begin(), prompt.begin() + prefix));
          entry = store.save(*model, *held, "bench prefix").entryId;
        }
        Samples s;
        std::vector<int> baselineIds, recycledIds;
        for (int run = 0; run < args->warmup + args->repeats; ++run) {
          const bool measured = run >= args->warmup;
          cache->truncate(0);
          const GenerationResult b = generateGreedy(*model, *cache, prompt, options);

          cache->truncate(0);
          const auto start = Clock::now();
          if (prefix > 0) store.loadPrefix(*model, entry, prefix, *cache);
          model->synchronize();
          const double load = prefix > 0 ? since(start) : 0.0;
          const GenerationResult r = generateGreedy(*model, *cache, prompt, options);

          cache->copyPrefixFrom(*held, prefix);  // in memory: no load at all
          const GenerationResult m = generateGreedy(*model, *cache, prompt, options);
          if (!measured) continue;
          s.baselineTtft.push_back(b.prefillSeconds);
          s.recycledTtft.push_back(load + r.prefillSeconds);
          s.load.push_back(load);
          s.inMemoryPrefill.push_back(m.prefillSeconds);
          if (baselineIds.empty()) baselineIds = b.outputIds, recycledIds = r.outputIds;
        }
        const Summary base = summarize(s.baselineTtft), rec = summarize(s.recycledTtft);
        const double kvBytes = static_cast<double>(cache->bytesPerPosition()) * prefix;
        const double ideal = summarize(s.inMemoryPrefill).median + kvBytes / (bandwidth * 1e9);
        nlohmann::ordered_json line;
        line["prefix_tokens"] = prefix;
        line["suffix_tokens"] = args->suffixTokens;
        line["new_tokens"] = args->newTokens;
        line["baseline_ttft_s"] = base.median;
        line["baseline_ttft_iqr_s"] = base.iqr;
        line["recycled_ttft_s"] = rec.median;
        line["recycled_ttft_iqr_s"] = rec.iqr;
        line["kv_load_s"] = summarize(s.load).median;
        line["kv_bytes"] = kvBytes;
        line["in_memory_suffix_prefill_s"] = summarize(s.inMemoryPrefill).median;
        line["ttft_ratio"] = rec.median / base.median;
        // Ideal: the suffix prefill with the prefix already in memory, plus moving
        // the prefix's K/V at the measured memory bandwidth.
        line["ideal_ratio"] = ideal / base.median;
        line["exact_match"] = baselineIds == recycledIds;
        line["repeats"] = args->repeats;
        line["warmup"] = args->warmup;
        line["preset"] = model->config().syntheticPreset;
        line["memcpy_bandwidth_gbs"] = bandwidth;
        addMachineInfo(line, *model);
        printJson(line);
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
