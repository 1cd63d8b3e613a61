// bench-engine: prefill and decode throughput of one model, with warm-up,
// repeats, median and spread; efficiency against the same run's GEMV/GEMM
// ceilings; decode ms/token by context; with --profile, time per op; with
// bf16 weights, their fidelity against the same weights in float32.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/compute_ceilings.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/model.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/system_info.h"
#include "kvrecycle/timestamps.h"
#include "kvrecycle/weights_fidelity.h"
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

// Decode ms/token after a prompt of each context length: median over repeats
// of `steps` greedy steps, so the growth with context (attention) shows.
nlohmann::ordered_json decodeByContext(const Model& model, KVCache& cache, int repeats) {
  constexpr int kSteps = 16;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const int context : {32, 256, 512, 1000}) {
    if (context + kSteps > cache.capacity()) continue;
    const std::vector<int> prompt = syntheticTokenIds(context, model.config().vocabSize);
    GenerationOptions options;
    options.maxNewTokens = kSteps + 1;
    options.ignoreEos = true;
    // The context is prefilled once; each repeat keeps all but its last token.
    cache.truncate(0);
    model.forward(cache, std::vector<int>(prompt.begin(), prompt.end() - 1));
    std::vector<double> ms;
    for (int i = 0; i < repeats + 1; ++i) {
      cache.truncate(context - 1);
      const GenerationResult r = generateGreedy(model, cache, prompt, options);
      if (i > 0) ms.push_back(1e3 * r.decodeSeconds / (r.outputIds.size() - 1));
    }
    out.push_back({{"context", context}, {"decode_ms_per_token", summaryJson(summarize(ms))}});
  }
  return out;
}

// Where the time of one forward goes, per op, in ms per forward: a prefill of
// the prompt, a short suffix prefill on a loaded prefix (what recycling runs),
// and a decode step.
nlohmann::ordered_json opProfile(const Model& model, KVCache& cache, const std::vector<int>& prompt,
                                 int repeats) {
  const int suffix = std::min<int>(32, static_cast<int>(prompt.size()) - 1);
  const std::vector<int> prefix(prompt.begin(), prompt.end() - suffix);
  const std::vector<int> tail(prompt.end() - suffix, prompt.end());
  const auto profile = [&](const char* name, int tokens, const auto& run) {
    nlohmann::ordered_json ops;
    double total = 0;
    model.setOpProfiling(true);
    for (int i = 0; i < repeats; ++i) run();
    for (const Model::OpTime& t : model.opTimes()) {
      ops[t.op] = 1e3 * t.seconds / repeats;
      total += t.seconds;
    }
    model.setOpProfiling(false);
    return nlohmann::ordered_json{{"what", name},
                                  {"tokens", tokens},
                                  {"ms_per_forward", 1e3 * total / repeats},
                                  {"ops_ms", ops}};
  };
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  out.push_back(profile("prefill", static_cast<int>(prompt.size()), [&] {
    cache.truncate(0);
    model.forward(cache, prompt);
  }));
  cache.truncate(0);
  model.forward(cache, prefix);
  out.push_back(profile("suffix_prefill", suffix, [&] {
    cache.truncate(static_cast<int>(prefix.size()));
    model.forward(cache, tail);
  }));
  out.push_back(profile("decode_step", 1, [&] {
    cache.truncate(static_cast<int>(prompt.size()));
    model.forward(cache, {prompt.front()});
  }));
  return out;
}

// Against the same weights loaded in float32, on the bench's prompt.
nlohmann::ordered_json fidelityJson(const Model& model, const ModelOptions& options,
                                    const std::vector<int>& prompt, int newTokens) {
  ModelOptions fp32 = options;
  fp32.weightsDtype = "fp32";
  const auto reference = loadModel(fp32);
  const WeightsFidelity f = measureWeightsFidelity(*reference, model, prompt, newTokens);
  return {{"reference", "fp32"},
          {"prompt_tokens", f.promptTokens},
          {"generated_tokens", f.generatedTokens},
          {"greedy_token_agreement", static_cast<double>(f.greedyAgreement) / f.generatedTokens},
          {"first_divergence", f.firstDivergence < 0 ? nlohmann::ordered_json(nullptr)
                                                     : nlohmann::ordered_json(f.firstDivergence)},
          {"teacher_forced_top1_agreement", f.teacherForcedTop1Agreement},
          {"max_abs_logit_delta", f.maxAbsLogitDelta},
          {"reference_logit_spread", f.referenceLogitSpread}};
}

}  // namespace

void registerBenchEngine(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    int promptTokens = 128;
    int newTokens = 32;
    int repeats = 5;
    int warmup = 1;
    bool profile = false;
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
  cmd->add_flag("--profile", args->profile,
                "Also time every op of a prefill, a 32-token suffix prefill and a decode step");
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
      // Decoding one token reads every weight once, the LM head (tied wte)
      // included; bf16 halves the bytes of the matrices, nearly all of them.
      const int64_t bytesPerWeight = model->weightsDtype() == WeightsDtype::BF16 ? 2 : 4;
      const int64_t weightBytesPerToken =
          (config.nonEmbeddingParameterCount() + int64_t{config.vocabSize} * config.nEmbd) *
          bytesPerWeight;
      // A decode step reads every weight once: the memory traffic rate bounds it.
      const double bandwidth = measureMemcpyRates().trafficGBs;
      const ComputeCeilings ceilings = measureComputeCeilings(model->threads());
      const double decodeBound =
          ceilings.decodeGBs() * 1e9 / static_cast<double>(weightBytesPerToken);
      // Prefill FLOPs: 2 per weight per token, plus attention's two products.
      const double prefillFlopsPerToken =
          2.0 * config.nonEmbeddingParameterCount() +
          2.0 * config.nLayer * config.nEmbd * args->promptTokens;  // average causal span x 2
      const double prefillMedian = summarize(prefillRates).median;
      const double decodeMedian = summarize(decodeRates).median;

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
      out["ceilings"] = {{"blas", ceilings.blas},
                         {"blas_sgemv_gbs", ceilings.blasSgemvGBs},
                         {"engine_gemv_gbs", ceilings.engineGemvGBs},
                         {"blas_sgemm_gflops", ceilings.blasSgemmGflops}};
      // Ratios to the same-run ceilings: 1.0 would be the hardware bound.
      out["decode_weight_gbs"] = decodeMedian * static_cast<double>(weightBytesPerToken) / 1e9;
      out["decode_sgemv_bound_tokens_per_s"] = decodeBound;
      out["decode_efficiency"] = decodeMedian / decodeBound;
      out["prefill_gflops"] = prefillMedian * prefillFlopsPerToken / 1e9;
      out["prefill_efficiency"] =
          prefillMedian * prefillFlopsPerToken / 1e9 / ceilings.blasSgemmGflops;
      out["decode_by_context"] = decodeByContext(*model, *cache, args->repeats);
      if (args->profile) out["profile"] = opProfile(*model, *cache, prompt, args->repeats);
      if (model->weightsDtype() != WeightsDtype::F32) {
        out["fidelity"] = fidelityJson(*model, args->model, prompt, args->newTokens);
      }
      addMachineInfo(out, *model);
      printJson(out);
      return 0;
    };
  });
}

}  // namespace kvr::cli
