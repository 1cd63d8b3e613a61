// make-prompts: synthetic cache and test prompt sets with controlled overlap.
#include "cli_common.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/tokenizer.h"
#include "kvrecycle/workloads.h"

namespace kvr::cli {

void registerMakePrompts(CLI::App& app, Action& action) {
  struct Args {
    WorkloadOptions options;
    std::string cacheOut, testOut, tokenizerDir;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("make-prompts", "Write synthetic cache and test prompt CSVs");
  cmd->add_option("--kind", args->options.kind, "shared-prefix or dialogue")
      ->check(CLI::IsMember(workloadKinds()));
  cmd->add_option("--cache-out", args->cacheOut, "Cache prompts CSV to write")->required();
  cmd->add_option("--test-out", args->testOut, "Test prompts CSV to write")->required();
  cmd->add_option("--prefix-tokens", args->options.prefixTokens, "Shared prefix length (tokens)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--suffix-tokens", args->options.suffixTokens, "Question length (tokens)")
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--count", args->options.count, "Test prompts or conversations")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--turns", args->options.turns, "Turns per conversation")
      ->check(CLI::Range(2, 100));
  cmd->add_option("--seed", args->options.seed, "Random seed");
  cmd->add_option("--tokenizer-dir", args->tokenizerDir,
                  "GPT-2 tokenizer (default: data directory)");
  cmd->callback([args, &action] {
    action = [args] {
      const auto tokenizer = Gpt2Tokenizer::load(args->tokenizerDir.empty()
                                                     ? defaultTokenizerDirectory()
                                                     : std::filesystem::path(args->tokenizerDir));
      const Workload w = makeWorkload(*tokenizer, args->options);
      writePromptCsv(args->cacheOut, w.cache);
      writePromptCsv(args->testOut, w.test);
      printJson({{"cache_prompts", w.cache.prompts.size()},
                 {"test_prompts", w.test.prompts.size()},
                 {"cache_out", args->cacheOut},
                 {"test_out", args->testOut}});
      return 0;
    };
  });
}

}  // namespace kvr::cli
