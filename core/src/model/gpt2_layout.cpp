#include "model/gpt2_layout.h"

namespace kvr {

std::vector<WeightSpec> gpt2WeightSpecs(const ModelConfig& c) {
  const int64_t e = c.nEmbd, inner = c.nInner;
  std::vector<WeightSpec> specs;
  const auto global = [&](const char* name, std::vector<int64_t> shape, WeightInit init,
                          GlobalSlot slot) {
    specs.push_back({name, std::move(shape), init, -1, static_cast<int>(slot)});
  };
  global("wte.weight", {c.vocabSize, e}, WeightInit::Normal, GlobalSlot::Wte);
  global("wpe.weight", {c.nPositions, e}, WeightInit::Normal, GlobalSlot::Wpe);
  for (int i = 0; i < c.nLayer; ++i) {
    const std::string p = "h." + std::to_string(i) + ".";
    const auto layer = [&](const char* name, std::vector<int64_t> shape, WeightInit init,
                           LayerSlot slot) {
      specs.push_back({p + name, std::move(shape), init, i, static_cast<int>(slot)});
    };
    layer("ln_1.weight", {e}, WeightInit::Ones, LayerSlot::Ln1Weight);
    layer("ln_1.bias", {e}, WeightInit::Zeros, LayerSlot::Ln1Bias);
    layer("attn.c_attn.weight", {e, 3 * e}, WeightInit::Normal, LayerSlot::AttnWeight);
    layer("attn.c_attn.bias", {3 * e}, WeightInit::Zeros, LayerSlot::AttnBias);
    layer("attn.c_proj.weight", {e, e}, WeightInit::Normal, LayerSlot::AttnProjWeight);
    layer("attn.c_proj.bias", {e}, WeightInit::Zeros, LayerSlot::AttnProjBias);
    layer("ln_2.weight", {e}, WeightInit::Ones, LayerSlot::Ln2Weight);
    layer("ln_2.bias", {e}, WeightInit::Zeros, LayerSlot::Ln2Bias);
    layer("mlp.c_fc.weight", {e, inner}, WeightInit::Normal, LayerSlot::FcWeight);
    layer("mlp.c_fc.bias", {inner}, WeightInit::Zeros, LayerSlot::FcBias);
    layer("mlp.c_proj.weight", {inner, e}, WeightInit::Normal, LayerSlot::MlpProjWeight);
    layer("mlp.c_proj.bias", {e}, WeightInit::Zeros, LayerSlot::MlpProjBias);
  }
  global("ln_f.weight", {e}, WeightInit::Ones, GlobalSlot::LnfWeight);
  global("ln_f.bias", {e}, WeightInit::Zeros, GlobalSlot::LnfBias);
  return specs;
}

}  // namespace kvr
