// generate: greedy generation for one prompt, with prefill/decode timing.
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/generation.h"
#include "kvrecycle/model.h"

namespace kvr::cli {

void registerGenerate(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    std::string prompt;
    int maxNewTokens = 32;
    bool ignoreEos = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("generate", "Greedy generation for one prompt");
  addModelOptions(*cmd, args->model);
  cmd->add_option("--prompt", args->prompt, "Prompt text")->required();
  cmd->add_option("--max-new-tokens", args->maxNewTokens, "Tokens to generate")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--ignore-eos", args->ignoreEos, "Do not stop at <|endoftext|>");
  cmd->callback([args, &action] {
    action = [args] {
      const auto model = loadModel(args->model);
      const std::vector<int> promptIds = model->tokenizer().encode(args->prompt);
      const auto cache = model->newCache();
      GenerationOptions options;
      options.maxNewTokens = args->maxNewTokens;
      options.ignoreEos = args->ignoreEos;
      const GenerationResult result = generateGreedy(*model, *cache, promptIds, options);
      nlohmann::ordered_json out;
      out["prompt_ids"] = promptIds;
      out["output_ids"] = result.outputIds;
      out["text"] = model->tokenizer().decode(result.outputIds);
      out["prefill_s"] = result.prefillSeconds;
      out["decode_s"] = result.decodeSeconds;
      out["stopped_at_eos"] = result.stoppedAtEos;
      out["device"] = model->deviceName();
      out["weights_file"] = model->weightsFile().string();
      out["weights_format"] = model->weights().format;
      out["synthetic"] = model->config().synthetic;
      if (model->config().synthetic) {
        out["note"] = kSyntheticNote;
        std::cerr << "note: " << kSyntheticNote << std::endl;
      }
      printJson(out);
      return 0;
    };
  });
}

}  // namespace kvr::cli
