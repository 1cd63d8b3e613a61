// tokenize: GPT-2 token ids of a text, or of every string in a JSON file.
#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/tokenizer.h"

namespace kvr::cli {
namespace {

std::unique_ptr<Gpt2Tokenizer> tokenizerFor(const std::string& model, const std::string& fallback) {
  const std::filesystem::path dir = resolveModelDirectory(model);
  if (Gpt2Tokenizer::hasFiles(dir)) return Gpt2Tokenizer::load(dir);
  const std::filesystem::path other =
      fallback.empty() ? defaultTokenizerDirectory() : std::filesystem::path(fallback);
  if (!Gpt2Tokenizer::hasFiles(other)) {
    throw Error(dir.string() + ": no vocab.json + merges.txt, and none in " + other.string());
  }
  return Gpt2Tokenizer::load(other);
}

nlohmann::ordered_json encodeJsonFile(const Gpt2Tokenizer& tokenizer, const std::string& path) {
  nlohmann::json input;
  try {
    input = nlohmann::json::parse(readTextFile(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
  if (!input.is_array()) throw Error(path + ": expected a JSON array of strings");
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < input.size(); ++i) {
    if (!input[i].is_string()) {
      throw Error(path + ": element " + std::to_string(i) + " is not a string");
    }
    try {
      out.push_back(tokenizer.encode(input[i].get<std::string>()));
    } catch (const Error& e) {
      throw Error(path + ": element " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace

void registerTokenize(CLI::App& app, Action& action) {
  struct Args {
    std::string model, text, jsonFile, tokenizerDir;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print GPT-2 token ids as JSON");
  cmd->add_option("--model", args->model, "Model directory (its tokenizer is used)")->required();
  auto* text = cmd->add_option("--text", args->text, "Text to tokenize");
  auto* file = cmd->add_option("--json-file", args->jsonFile, "JSON array of strings");
  text->excludes(file);
  cmd->add_option("--tokenizer-dir", args->tokenizerDir,
                  "Tokenizer used when the model directory has none");
  cmd->callback([args, text, file, &action] {
    if (text->count() == 0 && file->count() == 0) {
      throw CLI::RequiredError("--text or --json-file");
    }
    action = [args, fromFile = file->count() > 0] {
      const auto tokenizer = tokenizerFor(args->model, args->tokenizerDir);
      if (fromFile) {
        printJson(encodeJsonFile(*tokenizer, args->jsonFile));
      } else {
        printJson(tokenizer->encode(args->text));
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
