#include "weights_loader.h"

#include <torch/serialize.h>

#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>

#include "kvrecycle/error.h"
#include "kvrecycle/safetensors.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

std::string shapeText(at::IntArrayRef shape) {
  std::ostringstream ss;
  ss << '[';
  for (size_t i = 0; i < shape.size(); ++i) ss << (i ? ", " : "") << shape[i];
  ss << ']';
  return ss.str();
}

std::optional<at::ScalarType> scalarTypeOf(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::F64:
      return at::kDouble;
    default:
      return std::nullopt;
  }
}

// HF names come with or without the "transformer." prefix (GPT2LMHeadModel vs GPT2Model).
std::string canonicalName(const std::string& name) {
  const std::string prefix = "transformer.";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isMaskBuffer(const std::string& name) {
  return endsWith(name, ".attn.bias") || endsWith(name, ".attn.masked_bias");
}

bool isFloating(const at::Tensor& t) {
  return at::isFloatingType(t.scalar_type());
}

}  // namespace

TensorMap readSafetensorsTensors(const fs::path& path) {
  const SafetensorsFile file(path);
  TensorMap tensors;
  for (const auto& [name, info] : file.header().tensors) {
    // Old checkpoints carry attention-mask buffers (any dtype); they are not weights.
    if (isMaskBuffer(name)) continue;
    const auto type = scalarTypeOf(info.dtype);
    if (!type) {
      throw Error(path.string() + ": tensor '" + name + "' has dtype " + dtypeName(info.dtype) +
                  "; weights must be F32, F16, BF16 or F64");
    }
    // Copy out of the map (which is unmapped when `file` goes) into float32.
    at::Tensor view = at::from_blob(const_cast<uint8_t*>(file.data(info)), info.shape,
                                    at::TensorOptions().dtype(*type));
    tensors[name] = view.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
  }
  return tensors;
}

TensorMap readPytorchBinTensors(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue root;
  try {
    root = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw Error(path.string() + ": not a readable torch.save state dict: " + what);
  }
  if (!root.isGenericDict()) throw Error(path.string() + ": expected a state dict (a dict)");
  TensorMap tensors;
  for (const auto& item : root.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) continue;
    const at::Tensor t = item.value().toTensor();
    const std::string& name = item.key().toStringRef();
    if (isMaskBuffer(name)) continue;
    if (!isFloating(t)) {
      throw Error(path.string() + ": tensor '" + name + "' has dtype " +
                  std::string(c10::toString(t.scalar_type())) + "; weights must be floating point");
    }
    tensors[name] = t.to(at::kFloat).contiguous().clone();
  }
  return tensors;
}

TensorMap readWeightTensors(const fs::path& path) {
  return path.extension() == ".safetensors" ? readSafetensorsTensors(path)
                                            : readPytorchBinTensors(path);
}

namespace {

class WeightPicker {
 public:
  WeightPicker(const TensorMap& tensors, const fs::path& path) : where_(path.string()) {
    for (const auto& [name, tensor] : tensors) tensors_[canonicalName(name)] = tensor;
  }

  at::Tensor take(const std::string& name, std::vector<int64_t> shape) {
    const auto it = tensors_.find(name);
    if (it == tensors_.end()) throw Error(where_ + ": tensor '" + name + "' is missing");
    if (it->second.sizes() != at::IntArrayRef(shape)) {
      throw Error(where_ + ": tensor '" + name + "' has shape " + shapeText(it->second.sizes()) +
                  ", expected " + shapeText(shape));
    }
    return it->second;
  }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }

 private:
  TensorMap tensors_;
  std::string where_;
};

}  // namespace

fs::path findWeightsFile(const fs::path& modelDir) {
  for (const char* name : {"model.safetensors", "pytorch_model.bin"}) {
    if (fs::exists(modelDir / name)) return modelDir / name;
  }
  throw Error(modelDir.string() + ": no weights (model.safetensors or pytorch_model.bin)");
}

GptWeights loadGptWeights(const fs::path& weightsFile, const ModelConfig& c) {
  WeightPicker pick(readWeightTensors(weightsFile), weightsFile);
  const int64_t e = c.nEmbd, inner = c.nInner;
  GptWeights w;
  w.wte = pick.take("wte.weight", {c.vocabSize, e});
  w.wpe = pick.take("wpe.weight", {c.nPositions, e});
  w.lnfWeight = pick.take("ln_f.weight", {e});
  w.lnfBias = pick.take("ln_f.bias", {e});
  w.lmHead = pick.has("lm_head.weight") ? pick.take("lm_head.weight", {c.vocabSize, e}) : w.wte;
  for (int i = 0; i < c.nLayer; ++i) {
    const std::string p = "h." + std::to_string(i) + ".";
    LayerWeights l;
    l.ln1Weight = pick.take(p + "ln_1.weight", {e});
    l.ln1Bias = pick.take(p + "ln_1.bias", {e});
    l.attnWeight = pick.take(p + "attn.c_attn.weight", {e, 3 * e});
    l.attnBias = pick.take(p + "attn.c_attn.bias", {3 * e});
    l.attnProjWeight = pick.take(p + "attn.c_proj.weight", {e, e});
    l.attnProjBias = pick.take(p + "attn.c_proj.bias", {e});
    l.ln2Weight = pick.take(p + "ln_2.weight", {e});
    l.ln2Bias = pick.take(p + "ln_2.bias", {e});
    l.fcWeight = pick.take(p + "mlp.c_fc.weight", {e, inner});
    l.fcBias = pick.take(p + "mlp.c_fc.bias", {inner});
    l.mlpProjWeight = pick.take(p + "mlp.c_proj.weight", {inner, e});
    l.mlpProjBias = pick.take(p + "mlp.c_proj.bias", {e});
    w.layers.push_back(std::move(l));
  }
  return w;
}

}  // namespace kvr
