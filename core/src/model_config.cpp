#include "kvrecycle/model_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "kvrecycle/error.h"

namespace kvr {
namespace {

bool isSupportedActivation(const std::string& name) {
  return name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu" || name == "relu";
}

int positiveInt(const nlohmann::json& j, const char* key, const std::string& where,
                const char* fallbackKey = nullptr) {
  auto it = j.find(key);
  if (it == j.end() && fallbackKey != nullptr) it = j.find(fallbackKey);
  if (it == j.end()) throw Error(where + ": missing field '" + key + "'");
  if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > (1 << 24)) {
    throw Error(where + ": field '" + key + "' must be a positive integer");
  }
  return it->get<int>();
}

}  // namespace

int64_t ModelConfig::parameterCount() const {
  return nonEmbeddingParameterCount() + int64_t{vocabSize} * nEmbd + int64_t{nPositions} * nEmbd;
}

int64_t ModelConfig::nonEmbeddingParameterCount() const {
  const int64_t e = nEmbd;
  const int64_t inner = nInner;
  const int64_t perLayer = 2 * (2 * e)          // two LayerNorms
                           + e * 3 * e + 3 * e  // c_attn
                           + e * e + e          // attn c_proj
                           + e * inner + inner  // c_fc
                           + inner * e + e;     // mlp c_proj
  return nLayer * perLayer + 2 * e;             // + final LayerNorm
}

ModelConfig ModelConfig::parse(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  if (j.contains("model_type") && j["model_type"].is_string() && j["model_type"] != "gpt2") {
    throw Error(where + ": model_type '" + j["model_type"].get<std::string>() +
                "' is not supported (only GPT-2-family models)");
  }
  ModelConfig c;
  c.nLayer = positiveInt(j, "n_layer", where, "num_hidden_layers");
  c.nEmbd = positiveInt(j, "n_embd", where, "hidden_size");
  c.nHead = positiveInt(j, "n_head", where, "num_attention_heads");
  c.nPositions = positiveInt(j, "n_positions", where, "n_ctx");
  c.vocabSize = positiveInt(j, "vocab_size", where);
  if (c.nEmbd % c.nHead != 0) {
    throw Error(where + ": n_embd " + std::to_string(c.nEmbd) + " is not divisible by n_head " +
                std::to_string(c.nHead));
  }
  c.nInner = 4 * c.nEmbd;
  if (j.contains("n_inner") && !j["n_inner"].is_null()) c.nInner = positiveInt(j, "n_inner", where);
  if (j.contains("layer_norm_epsilon")) {
    if (!j["layer_norm_epsilon"].is_number() || j["layer_norm_epsilon"].get<double>() <= 0) {
      throw Error(where + ": field 'layer_norm_epsilon' must be a positive number");
    }
    c.layerNormEpsilon = j["layer_norm_epsilon"].get<double>();
  }
  if (j.contains("activation_function")) {
    if (!j["activation_function"].is_string() ||
        !isSupportedActivation(j["activation_function"].get<std::string>())) {
      throw Error(where + ": activation_function " + j["activation_function"].dump() +
                  " is not supported (gelu_new, gelu_pytorch_tanh, gelu, relu)");
    }
    c.activation = j["activation_function"].get<std::string>();
  }
  if (j.contains("scale_attn_weights") && j["scale_attn_weights"] == false) {
    throw Error(where + ": scale_attn_weights=false is not supported");
  }
  c.scaleAttnByInverseLayerIdx = j.value("scale_attn_by_inverse_layer_idx", false);
  if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer()) {
    c.eosTokenId = j["eos_token_id"].get<int>();
  }
  c.synthetic = j.value("kvrecycle_synthetic", false);
  c.syntheticPreset = j.value("kvrecycle_preset", std::string());
  c.syntheticSeed = j.value("kvrecycle_seed", uint64_t{0});
  return c;
}

ModelConfig ModelConfig::fromFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path.string());
}

std::string ModelConfig::toJson() const {
  nlohmann::ordered_json j;
  j["architectures"] = {"GPT2LMHeadModel"};
  j["model_type"] = "gpt2";
  j["activation_function"] = activation;
  j["bos_token_id"] = eosTokenId;
  j["eos_token_id"] = eosTokenId;
  j["layer_norm_epsilon"] = layerNormEpsilon;
  j["n_ctx"] = nPositions;
  j["n_embd"] = nEmbd;
  j["n_head"] = nHead;
  j["n_inner"] = nInner == 4 * nEmbd ? nlohmann::ordered_json() : nlohmann::ordered_json(nInner);
  j["n_layer"] = nLayer;
  j["n_positions"] = nPositions;
  j["scale_attn_by_inverse_layer_idx"] = scaleAttnByInverseLayerIdx;
  j["vocab_size"] = vocabSize;
  if (synthetic) {
    j["kvrecycle_synthetic"] = true;
    j["kvrecycle_preset"] = syntheticPreset;
    j["kvrecycle_seed"] = syntheticSeed;
    j["kvrecycle_note"] =
        "Synthetic model: seeded random weights. Its text is meaningless; its timings are "
        "faithful to the architecture.";
  }
  return j.dump(2) + "\n";
}

}  // namespace kvr
