#include "kvrecycle/model.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <limits>
#include <thread>

#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"
#include "model/cpu/blas.h"
#include "model/cpu/kernels.h"
#include "model/model_impl.h"
#include "model/threading.h"
#include "weights/weights_loader.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

at::Device chooseDevice(DevicePreference preference) {
  const bool cuda = torch::cuda::is_available();
  switch (preference) {
    case DevicePreference::Cpu:
      return at::Device(at::kCPU);
    case DevicePreference::Cuda:
      if (!cuda) throw Error("device cuda: this libtorch build has no CUDA or no GPU was found");
      return at::Device(at::kCUDA, 0);
    case DevicePreference::Auto:
      break;
  }
  return cuda ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
}

std::unique_ptr<Gpt2Tokenizer> loadTokenizer(const fs::path& modelDir, const LoadOptions& options,
                                             const ModelConfig& config) {
  fs::path dir = modelDir;
  if (!Gpt2Tokenizer::hasFiles(dir)) {
    dir = options.tokenizerDirectory.empty() ? defaultTokenizerDirectory()
                                             : options.tokenizerDirectory;
  }
  if (!Gpt2Tokenizer::hasFiles(dir)) {
    throw Error(modelDir.string() + ": no vocab.json + merges.txt, and no tokenizer in " +
                dir.string() + " (run the setup script)");
  }
  auto tokenizer = Gpt2Tokenizer::load(dir);
  if (tokenizer->vocabSize() > config.vocabSize) {
    throw Error(dir.string() + ": tokenizer has " + std::to_string(tokenizer->vocabSize()) +
                " tokens but the model's vocab_size is " + std::to_string(config.vocabSize));
  }
  return tokenizer;
}

}  // namespace

at::Tensor& GptWeights::at(const WeightSpec& spec) {
  static at::Tensor GptWeights::*const globals[] = {&GptWeights::wte, &GptWeights::wpe,
                                                    &GptWeights::lnfWeight, &GptWeights::lnfBias};
  static at::Tensor LayerWeights::*const perLayer[] = {
      &LayerWeights::ln1Weight, &LayerWeights::ln1Bias,        &LayerWeights::attnWeight,
      &LayerWeights::attnBias,  &LayerWeights::attnProjWeight, &LayerWeights::attnProjBias,
      &LayerWeights::ln2Weight, &LayerWeights::ln2Bias,        &LayerWeights::fcWeight,
      &LayerWeights::fcBias,    &LayerWeights::mlpProjWeight,  &LayerWeights::mlpProjBias};
  if (spec.layer < 0) return this->*globals[spec.slot];
  return layers[static_cast<size_t>(spec.layer)].*perLayer[spec.slot];
}

DevicePreference parseDevicePreference(const std::string& name) {
  if (name == "auto") return DevicePreference::Auto;
  if (name == "cpu") return DevicePreference::Cpu;
  if (name == "cuda") return DevicePreference::Cuda;
  throw Error("unknown device '" + name + "' (expected cpu, cuda or auto)");
}

const char* weightsDtypeName(WeightsDtype dtype) {
  return dtype == WeightsDtype::BF16 ? "bf16" : "fp32";
}

WeightsDtype parseWeightsDtype(const std::string& name) {
  if (name == "fp32") return WeightsDtype::F32;
  if (name == "bf16") return WeightsDtype::BF16;
  throw Error("unknown weights dtype '" + name + "' (expected fp32 or bf16)");
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::load(const fs::path& dir, const LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->directory = resolveModelDirectory(dir);
  impl->config = ModelConfig::fromFile(impl->directory / "config.json");
  impl->tokenizer = loadTokenizer(impl->directory, options, impl->config);
  impl->device = chooseDevice(options.device);
  impl->weightsDtype = options.weightsDtype;
  if (impl->weightsDtype != WeightsDtype::F32 && impl->device.is_cuda()) {
    throw Error(std::string(weightsDtypeName(impl->weightsDtype)) +
                " weights run on the CPU only (choose device cpu)");
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  impl->threads = options.threads > 0 ? options.threads : static_cast<int>(cores);
  impl->threadPlan = configureThreads(impl->threads).describe();

  LoadedWeights loaded = loadGptWeights(impl->directory, impl->config);
  impl->weightsReport = std::move(loaded.report);
  impl->fingerprint = impl->weightsReport.fingerprint;
  if (impl->weightsDtype == WeightsDtype::BF16) impl->fingerprint += ":bf16-weights";
  GptWeights& w = loaded.weights;
  if (impl->device.is_cuda()) {
    const bool tied = w.lmHead.is_same(w.wte);
    for (const WeightSpec& spec : gpt2WeightSpecs(impl->config)) {
      at::Tensor& t = w.at(spec);
      t = t.to(impl->device);
    }
    w.lmHead = tied ? w.wte : w.lmHead.to(impl->device);
  }
  impl->weights = std::move(w);
  if (!impl->device.is_cuda()) {
    impl->pool = std::make_unique<cpu::WorkerPool>(impl->threads);
    impl->cpuWeights =
        layOutForCpu(impl->weights, impl->weightsDtype, *impl->pool, impl->bf16Matrices);
  }
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const ModelConfig& Model::config() const {
  return impl_->config;
}
const fs::path& Model::directory() const {
  return impl_->directory;
}
const fs::path& Model::weightsFile() const {
  return impl_->weightsReport.file;
}
const WeightsReport& Model::weights() const {
  return impl_->weightsReport;
}
const std::string& Model::fingerprint() const {
  return impl_->fingerprint;
}
WeightsDtype Model::weightsDtype() const {
  return impl_->weightsDtype;
}
std::string Model::deviceName() const {
  return impl_->device.str();
}
bool Model::onCuda() const {
  return impl_->device.is_cuda();
}
int Model::threads() const {
  return impl_->threads;
}
const std::string& Model::threading() const {
  return impl_->threadPlan;
}
const Gpt2Tokenizer& Model::tokenizer() const {
  return *impl_->tokenizer;
}

std::unique_ptr<KVCache> Model::newCache(int capacity) const {
  const ModelConfig& c = impl_->config;
  if (capacity <= 0 || capacity > c.nPositions) capacity = c.nPositions;
  auto cache = std::make_unique<KVCache::Impl>();
  cache->capacity = capacity;
  const auto options = at::TensorOptions().dtype(at::kFloat).device(impl_->device);
  // Poisoned, not uninitialised: a position read before it is written gives NaN logits.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int l = 0; l < c.nLayer; ++l) {
    cache->keys.push_back(at::full({c.nHead, capacity, c.headDim()}, nan, options));
    cache->values.push_back(at::full({c.nHead, capacity, c.headDim()}, nan, options));
  }
  return std::unique_ptr<KVCache>(new KVCache(std::move(cache)));
}

std::vector<float> Model::forward(KVCache& cache, const std::vector<int>& tokens,
                                  bool allLogits) const {
  const int n = static_cast<int>(tokens.size());
  KVCache::Impl& c = EngineAccess::of(cache);
  const float* logits = impl_->forward(c, tokens.data(), n, allLogits);
  std::vector<float> out(logits, logits + static_cast<size_t>(allLogits ? n : 1) *
                                              static_cast<size_t>(impl_->config.vocabSize));
  // Every row's logits are large (a 476-token prompt: 96 MB); keep one row's worth.
  if (allLogits && n > 1) std::vector<float>().swap(c.scratch.logits);
  return out;
}

std::vector<float> Model::meanHiddenState(const std::vector<int>& tokens) const {
  const ModelConfig& c = impl_->config;
  if (tokens.empty()) return std::vector<float>(static_cast<size_t>(c.nEmbd), 0.f);
  const std::vector<int> used(tokens.begin(),
                              tokens.begin() + std::min<size_t>(tokens.size(), c.nPositions));
  const auto cache = newCache(static_cast<int>(used.size()));
  std::vector<float> mean(static_cast<size_t>(c.nEmbd));
  impl_->meanHidden(EngineAccess::of(*cache), used, mean.data());
  return mean;
}

std::string Model::forwardKernels() const {
  if (impl_->device.is_cuda()) return "torch";
  const std::string weights = impl_->weightsDtype == WeightsDtype::BF16 ? ", bf16 weights" : "";
  return std::string(cpu::bestKernels().name) + " kernels" + weights + ", " + cpu::sgemmProvider() +
         " sgemm, " + std::to_string(impl_->pool->threads()) + " threads";
}

void Model::setOpProfiling(bool enabled) const {
  if (!enabled) {
    impl_->profile = nullptr;
    return;
  }
  impl_->profileTimes = std::make_unique<cpu::OpTimes>();
  if (!impl_->device.is_cuda()) impl_->profile = impl_->profileTimes.get();
}

std::vector<Model::OpTime> Model::opTimes() const {
  std::vector<OpTime> out;
  if (impl_->profileTimes == nullptr || impl_->device.is_cuda()) return out;
  for (size_t i = 0; i < static_cast<size_t>(cpu::Op::Count); ++i) {
    out.push_back({cpu::opName(static_cast<cpu::Op>(i)), impl_->profileTimes->seconds[i],
                   impl_->profileTimes->calls[i]});
  }
  return out;
}

void Model::synchronize() const {
  if (impl_->device.is_cuda()) torch::cuda::synchronize();
}

}  // namespace kvr
