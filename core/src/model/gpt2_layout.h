#pragma once
// The GPT-2 checkpoint layout, once: every tensor's canonical name (Hugging
// Face's, without "transformer."), its shape for a config, how a fresh model
// initialises it, and which slot of the model's weights it fills. The
// synthetic model maker, the loader, the fingerprint and the device move all
// walk this list, in this order. No torch here.
#include <string>
#include <vector>

#include "kvrecycle/model_config.h"

namespace kvr {

enum class WeightInit { Normal, Ones, Zeros };

// Slots of the weights outside the blocks, and of each block, in file order.
enum class GlobalSlot { Wte, Wpe, LnfWeight, LnfBias };
enum class LayerSlot {
  Ln1Weight,
  Ln1Bias,
  AttnWeight,
  AttnBias,
  AttnProjWeight,
  AttnProjBias,
  Ln2Weight,
  Ln2Bias,
  FcWeight,
  FcBias,
  MlpProjWeight,
  MlpProjBias,
};

struct WeightSpec {
  std::string name;  // e.g. "h.3.attn.c_attn.weight"
  std::vector<int64_t> shape;
  WeightInit init = WeightInit::Normal;
  int layer = -1;  // -1: a global slot
  int slot = 0;    // a GlobalSlot or LayerSlot value
};

// wte, wpe, every block, ln_f: the tied LM head is not listed (it is wte).
std::vector<WeightSpec> gpt2WeightSpecs(const ModelConfig& config);

}  // namespace kvr
