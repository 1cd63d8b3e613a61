// make-model: writes a synthetic GPT-2-family model directory.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/synthetic.h"

namespace kvr::cli {

void registerMakeModel(CLI::App& app, Action& action) {
  struct Args {
    std::string preset, out, tokenizerDir;
    uint64_t seed = 0;
    double initStd = 0.02;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("make-model", "Write a synthetic model (random weights)");
  std::string presets;
  for (const auto& p : syntheticPresetNames()) presets += (presets.empty() ? "" : ", ") + p;
  cmd->add_option("--preset", args->preset, presets)
      ->required()
      ->check(CLI::IsMember(syntheticPresetNames()));
  cmd->add_option("--out", args->out, "Output directory")->required();
  cmd->add_option("--seed", args->seed, "Random seed (same seed, same bytes)");
  cmd->add_option("--init-std", args->initStd, "Standard deviation of the weights")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--tokenizer-dir", args->tokenizerDir,
                  "GPT-2 tokenizer files (default: the data directory's copy)");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  cmd->callback([args, &action] {
    action = [args] {
      SyntheticModelOptions options;
      options.preset = args->preset;
      options.seed = args->seed;
      options.initStd = args->initStd;
      options.tokenizerDirectory = args->tokenizerDir;
      int lastPercent = -1;
      if (!args->quiet) {
        options.progress = [&lastPercent](double f) {
          const int percent = static_cast<int>(f * 100);
          if (percent / 10 != lastPercent / 10) std::cerr << "make-model: " << percent << "%\n";
          lastPercent = percent;
        };
      }
      writeSyntheticModel(args->out, options);
      const ModelConfig config = syntheticPresetConfig(args->preset);
      printJson({{"out", args->out},
                 {"preset", args->preset},
                 {"seed", args->seed},
                 {"parameters", config.parameterCount()},
                 {"synthetic", true}});
      return 0;
    };
  });
}

}  // namespace kvr::cli
