// convert-weights: model.safetensors <-> pytorch_model.bin.
#include "cli_common.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/weights_convert.h"

namespace kvr::cli {

void registerConvertWeights(CLI::App& app, Action& action) {
  struct Args {
    std::string from, out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "convert-weights", "Convert weights between .safetensors and .bin (torch.save zip)");
  cmd->add_option("--from", args->from, "Input weights file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Output file (.safetensors or .bin)")->required();
  cmd->callback([args, &action] {
    action = [args] {
      convertWeights(args->from, args->out);
      printJson({{"from", args->from}, {"out", args->out}});
      return 0;
    };
  });
}

}  // namespace kvr::cli
