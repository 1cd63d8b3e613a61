#include "kvrecycle/model_config.h"

#include <utility>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <type_traits>

#include "kvrecycle/error.h"

namespace kvr {
namespace {

constexpr double kMaxParameters = static_cast<double>(int64_t{1} << 50);

constexpr std::pair<Activation, const char*> kActivations[] = {
    {Activation::GeluNew, "gelu_new"},
    {Activation::GeluPytorchTanh, "gelu_pytorch_tanh"},
    {Activation::Gelu, "gelu"},
    {Activation::Relu, "relu"},
};

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

// An optional field of a given JSON type (absent or null: the fallback).
template <typename T>
T optionalField(const nlohmann::json& j, const char* key, T fallback, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  const char* expected = nullptr;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) expected = "true or false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) expected = "a string";
  } else {
    static_assert(std::is_same_v<T, uint64_t>);
    if (!it->is_number_unsigned()) expected = "a non-negative integer";
  }
  if (expected != nullptr) throw Error(where + ": field '" + key + "' must be " + expected);
  return it->get<T>();
}

}  // namespace

const char* activationName(Activation activation) {
  for (const auto& [value, name] : kActivations) {
    if (value == activation) return name;
  }
  return "gelu_new";
}

std::optional<Activation> parseActivation(const std::string& name) {
  for (const auto& [value, known] : kActivations) {
    if (name == known) return value;
  }
  return std::nullopt;
}

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
  // Each size is bounded, but together they could overflow parameterCount().
  const double e = c.nEmbd, inner = c.nInner;
  const double parameters = c.nLayer * (4 * e * e + 2 * e * inner + 9 * e + inner) + 2 * e +
                            (double{1} * c.vocabSize + c.nPositions) * e;
  if (parameters > kMaxParameters) {
    throw Error(where + ": n_layer, n_embd, n_inner and vocab_size make a model too large " +
                "(more than 2^50 parameters)");
  }
  if (j.contains("layer_norm_epsilon")) {
    if (!j["layer_norm_epsilon"].is_number() || j["layer_norm_epsilon"].get<double>() <= 0) {
      throw Error(where + ": field 'layer_norm_epsilon' must be a positive number");
    }
    c.layerNormEpsilon = j["layer_norm_epsilon"].get<double>();
  }
  if (j.contains("activation_function")) {
    if (!j["activation_function"].is_string() ||
        !parseActivation(j["activation_function"].get<std::string>())) {
      // Not dump()ed unless a string: dumping deeply nested JSON overflows the stack.
      const auto& value = j["activation_function"];
      throw Error(where + ": activation_function " +
                  (value.is_string() ? value.dump() : std::string(value.type_name())) +
                  " is not supported (gelu_new, gelu_pytorch_tanh, gelu, relu)");
    }
    c.activation = *parseActivation(j["activation_function"].get<std::string>());
  }
  if (j.contains("scale_attn_weights") && j["scale_attn_weights"] == false) {
    throw Error(where + ": scale_attn_weights=false is not supported");
  }
  c.scaleAttnByInverseLayerIdx = optionalField(j, "scale_attn_by_inverse_layer_idx", false, where);
  if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer()) {
    c.eosTokenId = j["eos_token_id"].get<int>();
  }
  c.synthetic = optionalField(j, "kvrecycle_synthetic", false, where);
  // Preset and seed describe a synthetic model only (toJson writes them only then).
  if (c.synthetic) {
    c.syntheticPreset = optionalField(j, "kvrecycle_preset", std::string(), where);
    c.syntheticSeed = optionalField(j, "kvrecycle_seed", uint64_t{0}, where);
  }
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
  j["activation_function"] = activationName(activation);
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
