#pragma once
// A GPT-2-family model's config.json, as Hugging Face writes it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace kvr {

// The MLP activation, one value per config.json activation_function name.
enum class Activation { GeluNew, GeluPytorchTanh, Gelu, Relu };
const char* activationName(Activation activation);  // "gelu_new", ...
std::optional<Activation> parseActivation(const std::string& name);

struct ModelConfig {
  int nLayer = 0;
  int nEmbd = 0;
  int nHead = 0;
  int nPositions = 0;
  int vocabSize = 0;
  int nInner = 0;  // MLP width; 4 * nEmbd when config.json leaves it null
  double layerNormEpsilon = 1e-5;
  Activation activation = Activation::GeluNew;
  bool scaleAttnByInverseLayerIdx = false;
  int eosTokenId = 50256;
  // Set by kvrecycle's synthetic model maker: random weights, meaningless text.
  bool synthetic = false;
  std::string syntheticPreset;
  uint64_t syntheticSeed = 0;

  int headDim() const { return nEmbd / nHead; }
  // Trainable parameters, embeddings included (LM head tied to wte).
  int64_t parameterCount() const;
  // Parameters outside the token and position embeddings (2 * this = FLOPs per token).
  int64_t nonEmbeddingParameterCount() const;

  // Throws kvr::Error naming `where` and the field at fault.
  static ModelConfig parse(const std::string& json, const std::string& where);
  static ModelConfig fromFile(const std::filesystem::path& path);
  // Hugging Face GPT-2 config.json text (with kvrecycle's synthetic marks).
  std::string toJson() const;
};

}  // namespace kvr
