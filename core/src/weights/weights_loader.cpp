#include "weights/weights_loader.h"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "io/fingerprint.h"
#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"
#include "weights/stored_tensors.h"
#include "weights/weights_files.h"

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

// HF names come with or without the "transformer." prefix (GPT2LMHeadModel vs GPT2Model).
std::string canonicalName(const std::string& name) {
  const std::string prefix = "transformer.";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Old checkpoints carry attention-mask buffers (any dtype); they are not weights.
bool isMaskBuffer(const std::string& name) {
  return endsWith(name, ".attn.bias") || endsWith(name, ".attn.masked_bias");
}

// Hands out stored tensors by canonical name, reading each once, and keeps
// the report: dtypes and parameters used, and what is missing or wrong.
class WeightPicker {
 public:
  WeightPicker(StoredWeights& stored, WeightsReport& report, bool strict)
      : stored_(stored), report_(report), strict_(strict), where_(stored.file.string()) {
    for (const auto& [name, tensor] : stored_.tensors)
      byCanonical_.emplace(canonicalName(name), name);
  }

  bool has(const std::string& name) const { return byCanonical_.count(name) != 0; }

  // The tensor as contiguous float32, or an undefined tensor (not strict) when
  // it is absent, mis-shaped or not floating point.
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape) {
    const auto it = byCanonical_.find(name);
    if (it == byCanonical_.end()) {
      if (strict_) throw Error(where_ + ": tensor '" + name + "' is missing");
      report_.missing.push_back(name);
      return {};
    }
    StoredTensor& stored = stored_.tensors.at(it->second);
    used_.insert(it->second);
    if (stored.shape != shape) {
      report(where_ + ": tensor '" + name + "' has shape " + shapeText(stored.shape) +
             ", expected " + shapeText(shape));
      return {};
    }
    try {
      at::Tensor t = stored.read();
      ++report_.dtypes[stored.dtype];
      report_.parameters += t.numel();
      return t;
    } catch (const Error& e) {
      report(e.what());
      return {};
    }
  }

  // Stored entries the model did not use, sorted.
  std::vector<std::string> unused() const {
    std::vector<std::string> out = stored_.skipped;
    for (const auto& [name, tensor] : stored_.tensors) {
      if (used_.count(name) == 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  void report(const std::string& problem) {
    if (strict_) throw Error(problem);
    report_.problems.push_back(problem);
  }

  StoredWeights& stored_;
  WeightsReport& report_;
  bool strict_;
  std::string where_;
  std::map<std::string, std::string> byCanonical_;  // first stored name wins
  std::set<std::string> used_;
};

// The identity of the weights, not of the file: the architecture, then every
// tensor the model uses, in a fixed order under its canonical name, as
// float32. An LM head equal to wte (tied) is not hashed again.
std::string fingerprintOf(const ModelConfig& config, GptWeights& w, bool tiedHead) {
  Fingerprinter fp;
  ModelConfig architecture = config;
  architecture.synthetic = false;  // identity is the weights, not our labels
  fp.add(architecture.toJson());
  const auto add = [&fp](const std::string& name, const at::Tensor& t) {
    fp.add(name + "\n");
    for (const int64_t d : t.sizes()) fp.add(&d, sizeof d);
    fp.add(t.data_ptr<float>(), static_cast<size_t>(t.numel()) * sizeof(float));
  };
  for (const WeightSpec& spec : gpt2WeightSpecs(config)) add(spec.name, w.at(spec));
  if (!tiedHead) add("lm_head.weight", w.lmHead);
  return fp.hex();
}

}  // namespace

TensorMap readWeightTensors(const fs::path& path) {
  StoredWeights stored = openWeights(path);
  TensorMap tensors;
  for (auto& [name, tensor] : stored.tensors) {
    if (!isMaskBuffer(name)) tensors[name] = tensor.read();
  }
  return tensors;
}

LoadedWeights loadGptWeights(const fs::path& modelDir, const ModelConfig& c, bool strict) {
  const std::vector<fs::path> candidates = weightsCandidates(modelDir);
  if (candidates.empty()) {
    throw Error(modelDir.string() +
                ": no weights (model.safetensors, pytorch_model.bin, or a sharded *.index.json)");
  }
  StoredWeights stored = openWeights(candidates.front());
  LoadedWeights out;
  WeightsReport& report = out.report;
  report.format = stored.format;
  report.file = stored.file;
  report.shards = stored.shards;
  report.alsoPresent.assign(candidates.begin() + 1, candidates.end());

  WeightPicker pick(stored, report, strict);
  const int64_t e = c.nEmbd;
  GptWeights& w = out.weights;
  w.layers.resize(static_cast<size_t>(c.nLayer));
  for (const WeightSpec& spec : gpt2WeightSpecs(c)) w.at(spec) = pick.take(spec.name, spec.shape);
  // Checkpoints of GPT2LMHeadModel may store the (tied) head; safetensors drop it.
  w.lmHead = w.wte;
  report.tiedHead = true;
  if (pick.has("lm_head.weight")) {
    const at::Tensor head = pick.take("lm_head.weight", {c.vocabSize, e});
    if (head.defined() && w.wte.defined() && at::equal(head, w.wte)) {
      report.parameters -= head.numel();  // the same parameters, counted once
    } else if (head.defined()) {
      w.lmHead = head;
      report.tiedHead = false;
    }
  }
  report.ignored = pick.unused();
  if (report.complete()) report.fingerprint = fingerprintOf(c, w, report.tiedHead);
  return out;
}

WeightsReport inspectModelWeights(const fs::path& dir) {
  const fs::path resolved = resolveModelDirectory(dir);
  const ModelConfig config = ModelConfig::fromFile(resolved / "config.json");
  return loadGptWeights(resolved, config, /*strict=*/false).report;
}

}  // namespace kvr
