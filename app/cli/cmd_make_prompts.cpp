// make-prompts: synthetic cache and test prompt sets with controlled overlap.
#include "cli_common.h"
#include "kvrecycle/error.h"
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
  cmd->add_option("--kind", args->options.kind, "shared-prefix, dialogue or conversation")
      ->check(CLI::IsMember(workloadKinds()));
  cmd->add_option("--cache-out", args->cacheOut,
                  "Cache prompts CSV to write (not for conversation: it has no cache set)");
  cmd->add_option("--test-out", args->testOut, "Test prompts CSV to write")->required();
  cmd->add_option("--prefix-tokens", args->options.prefixTokens, "Shared prefix length (tokens)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--suffix-tokens", args->options.suffixTokens, "Question length (tokens)")
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--count", args->options.count, "Test prompts or conversations")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--turns", args->options.turns, "Turns per conversation")
      ->check(CLI::Range(2, 100));
  cmd->add_option("--sessions", args->options.sessions, "Conversation sessions, interleaved")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--max-prompt-tokens", args->options.maxPromptTokens,
                  "Conversation: drop the oldest exchanges of a longer history (default 992: "
                  "a 1024-token context less 32 new tokens)")
      ->check(CLI::Range(8, 1000000));
  cmd->add_option("--seed", args->options.seed, "Random seed");
  cmd->add_option("--tokenizer-dir", args->tokenizerDir,
                  "GPT-2 tokenizer (default: data directory)");
  cmd->callback([args, &action] {
    action = [args] {
      const auto tokenizer = Gpt2Tokenizer::load(args->tokenizerDir.empty()
                                                     ? defaultTokenizerDirectory()
                                                     : std::filesystem::path(args->tokenizerDir));
      const bool conversation = args->options.kind == "conversation";
      if (conversation && !args->cacheOut.empty()) {
        throw Error(
            "--cache-out: a conversation workload has no cache set (run it with --mode "
            "online)");
      }
      if (!conversation && args->cacheOut.empty()) throw Error("--cache-out is required");
      const Workload w = makeWorkload(*tokenizer, args->options);
      if (!conversation) writePromptCsv(args->cacheOut, w.cache);
      writePromptCsv(args->testOut, w.test);
      nlohmann::ordered_json out = {{"cache_prompts", w.cache.prompts.size()},
                                    {"test_prompts", w.test.prompts.size()},
                                    {"cache_out", args->cacheOut},
                                    {"test_out", args->testOut}};
      if (conversation) {
        out["truncated_prompts"] = w.truncatedPrompts;
        out["dropped_turns"] = w.droppedTurns;
      }
      printJson(out);
      return 0;
    };
  });
}

}  // namespace kvr::cli
