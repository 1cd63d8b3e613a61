// logits: the model's logits for every position of a token sequence, written
// as a float32 .npy file, so independent implementations can check our forward pass.
#include <cstdio>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/model.h"

namespace kvr::cli {
namespace {

void writeNpy(const std::string& path, const std::vector<float>& data, size_t rows, size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw Error(path + ": cannot create file");
  const unsigned char magic[] = {0x93,
                                 'N',
                                 'U',
                                 'M',
                                 'P',
                                 'Y',
                                 1,
                                 0,
                                 static_cast<unsigned char>(header.size() & 0xFF),
                                 static_cast<unsigned char>(header.size() >> 8)};
  bool ok = std::fwrite(magic, 1, sizeof magic, f) == sizeof magic;
  ok = ok && std::fwrite(header.data(), 1, header.size(), f) == header.size();
  ok = ok && std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw Error(path + ": write failed");
}

}  // namespace

void registerLogits(CLI::App& app, Action& action) {
  struct Args {
    ModelOptions model;
    std::vector<int> ids;
    std::string text, out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("logits", "Write logits of every position as .npy");
  addModelOptions(*cmd, args->model);
  auto* ids = cmd->add_option("--ids", args->ids, "Token ids")->delimiter(',');
  auto* text = cmd->add_option("--text", args->text, "Text (tokenized first)");
  ids->excludes(text);
  cmd->add_option("--out", args->out, "Output .npy file")->required();
  cmd->callback([args, ids, text, &action] {
    if (ids->count() == 0 && text->count() == 0) throw CLI::RequiredError("--ids or --text");
    action = [args] {
      const auto model = loadModel(args->model);
      const std::vector<int> tokens =
          args->ids.empty() ? model->tokenizer().encode(args->text) : args->ids;
      const auto cache = model->newCache();
      const std::vector<float> logits = model->forward(*cache, tokens, /*allLogits=*/true);
      writeNpy(args->out, logits, tokens.size(), model->config().vocabSize);
      printJson({{"ids", tokens}, {"out", args->out}, {"vocab", model->config().vocabSize}});
      return 0;
    };
  });
}

}  // namespace kvr::cli
