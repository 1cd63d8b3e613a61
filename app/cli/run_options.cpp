#include "run_options.h"

#include <algorithm>
#include <cstdlib>

#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"

namespace kvr::cli {

void addRunOptions(CLI::App& cmd, RunOptions& o) {
  addModelOptions(cmd, o.model);
  cmd.add_option("--cache-prompts", o.cachePrompts, "CSV of prompts whose K/V are stored")
      ->required();
  cmd.add_option("--test-prompts", o.testPrompts, "CSV of prompts to measure")->required();
  cmd.add_option("--db", o.db, "SQLite run store")->required();
  cmd.add_option("--store", o.store, "K/V store directory (default: beside the DB)");
  cmd.add_option("--policy", o.policy, "paper or longest-prefix")
      ->check(CLI::IsMember(policyNames()));
  cmd.add_option("--min-reuse", o.config.minReuse, "Fewest tokens worth reusing")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-new-tokens", o.config.maxNewTokens, "Tokens to generate")
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--ignore-eos", o.config.ignoreEos, "Do not stop at <|endoftext|>");
  cmd.add_option("--repeats", o.config.repeats, "Measured runs per prompt and mode")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--warmup", o.config.warmup, "Unmeasured runs before them")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--embedder", o.embedder, "hashed or model")
      ->check(CLI::IsMember(embedderNames()));
  cmd.add_option("--template", o.config.promptTemplate,
                 "Prompt template, e.g. '{prompt}<|endoftext|>'");
  cmd.add_option("--name", o.config.name, "Run name");
  addNoiseOptions(cmd, o.noise);
}

ExperimentConfig experimentConfig(const RunOptions& o) {
  ExperimentConfig config = o.config;
  config.policy = parseReusePolicy(o.policy);  // names checked by the parser
  config.embedder = parseEmbedderKind(o.embedder);
  applyNoiseOptions(o.noise, config.noise, config.kvPageCache);
  const std::filesystem::path db = o.db;
  config.storeDirectory =
      o.store.empty() ? defaultKvStoreDirectory(db) : std::filesystem::path(o.store);
  config.cachePromptsSource = o.cachePrompts;
  config.testPromptsSource = o.testPrompts;
  validateExperimentConfig(config);
  return config;
}

RunOptions parseRunArguments(const std::vector<std::string>& arguments,
                             const std::filesystem::path& base, const std::string& context) {
  CLI::App parser{"run"};
  RunOptions o;
  addRunOptions(parser, o);
  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());  // CLI11's order
  try {
    parser.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw UsageError(context + ": " + e.what());
  }
  const char* home = std::getenv("HOME");
  const auto resolve = [&base, home](std::string& path) {
    if (path.rfind("~/", 0) == 0 && home != nullptr) path = home + path.substr(1);
    if (!path.empty() && std::filesystem::path(path).is_relative()) {
      path = (base / path).lexically_normal().string();
    }
  };
  for (std::string* path :
       {&o.model.model, &o.model.tokenizerDir, &o.cachePrompts, &o.testPrompts, &o.db, &o.store}) {
    resolve(*path);
  }
  return o;
}

}  // namespace kvr::cli
