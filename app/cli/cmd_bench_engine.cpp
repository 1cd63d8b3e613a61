// bench-engine: prefill and decode throughput of one model, with warm-up,
// repeats, median and spread, and the memory-bandwidth bound for decoding.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/model.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/timestamps.h"
#include "kvrecycle/workloads.h"

namespace kvr::cli {
namespace {

// Text made of every 7th vocabulary entry (those that are valid UTF-8 alone),
// so the piece cache starts cold and every pre-tokenizer path is exercised.
std::string tokenizerCorpus(const Gpt2Tokenizer& tokenizer) {
  std::string text;
  for (int id = 0; id < tokenizer.vocabSize(); id += 7) {
    const std::string piece = tokenizer.tokenBytes(id);
    try {
      tokenizer.encode(piece);
    } catch (const std::exception&) {
      continue;  // a partial UTF-8 sequence
    }
    text += piece;
    text += (id % 5 == 0) ? ". " : " ";
  }
  return text;
}

// Tokens per second of a fresh tokenizer (cold piece cache) and of a second pass (warm).
nlohmann::ordered_json tokenizerThroughput(const std::filesystem::path& modelDir,
                                           const std::filesystem::path& fallbackDir) {
  const std::filesystem::path dir = Gpt2Tokenizer::hasFiles(modelDir) ? modelDir : fallbackDir;
  const std::string corpus = tokenizerCorpus(*Gpt2Tokenizer::load(dir));
  const auto tokenizer = Gpt2Tokenizer::load(dir);  // not yet warmed by the corpus
  nlohmann::ordered_json out;
  for (const char* pass : {"cold", "warm"}) {
    const Stopwatch clock;
    const size_t tokens = tokenizer->encode(corpus).size();
    const double s = clock.seconds();
    out[pass] = tokens / s;
  }
  out["corpus_bytes"] = corpus.size();
  return out;
}

nlohmann::ordered_json summaryJson(const Summary& s) {
  return {{"median", s.median}, {"iqr", s.iqr},       {"min", s.min},      {"max", s.max},
          {"mean", s.mean},     {"stddev", s.stddev}, {"samples", s.count}};
}

}  // namespace

void registerBenchEngine(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    int promptTokens = 128;
    int newTokens = 32;
    int repeats = 5;
    int warmup = 1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bench-engine", "Prefill and decode tokens/s");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--prompt-tokens", args->promptTokens, "Prompt length")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--new-tokens", args->newTokens, "Decoded tokens per repeat")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--repeats", args->repeats, "Measured repeats")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "Unmeasured warm-up runs")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args, &action] {
    action = [args] {
      const auto model = loadModel(args->model);
      const ModelConfig& config = model->config();
      const std::vector<int> prompt = syntheticTokenIds(args->promptTokens, config.vocabSize);
      const auto cache = model->newCache();
      GenerationOptions options;
      options.maxNewTokens = args->newTokens + 1;  // the first token belongs to prefill
      options.ignoreEos = true;

      std::vector<double> prefillRates, decodeRates;
      for (int i = 0; i < args->warmup + args->repeats; ++i) {
        cache->truncate(0);
        const GenerationResult r = generateGreedy(*model, *cache, prompt, options);
        if (i < args->warmup) continue;
        prefillRates.push_back(args->promptTokens / r.prefillSeconds);
        decodeRates.push_back((r.outputIds.size() - 1) / r.decodeSeconds);
      }
      // Decoding one token reads every weight once, the LM head (tied wte) included.
      const int64_t weightBytesPerToken =
          (config.nonEmbeddingParameterCount() + int64_t{config.vocabSize} * config.nEmbd) * 4;
      // A decode step reads every weight once: the memory traffic rate bounds it.
      const double bandwidth = measureMemcpyRates().trafficGBs;

      nlohmann::ordered_json out;
      out["model"] = model->directory().string();
      out["preset"] = config.syntheticPreset;
      out["synthetic"] = config.synthetic;
      out["parameters"] = config.parameterCount();
      out["prompt_tokens"] = args->promptTokens;
      out["new_tokens"] = args->newTokens;
      out["repeats"] = args->repeats;
      out["warmup"] = args->warmup;
      out["prefill_tokens_per_s"] = summaryJson(summarize(prefillRates));
      out["decode_tokens_per_s"] = summaryJson(summarize(decodeRates));
      out["tokenizer_tokens_per_s"] = tokenizerThroughput(
          model->directory(), args->model.tokenizerDir.empty()
                                  ? defaultTokenizerDirectory()
                                  : std::filesystem::path(args->model.tokenizerDir));
      out["weight_bytes_per_decoded_token"] = weightBytesPerToken;
      out["memcpy_traffic_gbs"] = bandwidth;  // bytes read + written per second
      out["decode_bound_tokens_per_s"] = bandwidth * 1e9 / static_cast<double>(weightBytesPerToken);
      addMachineInfo(out, *model);
      printJson(out);
      return 0;
    };
  });
}

}  // namespace kvr::cli
