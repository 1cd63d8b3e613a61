#include "kvrecycle/synthetic.h"

#include <cmath>
#include <functional>
#include <numeric>
#include <thread>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/tokenizer.h"
#include "model/gpt2_layout.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

struct Preset {
  const char* name;
  int layers, embd, heads;
};
constexpr Preset kPresets[] = {{"tiny", 2, 64, 2},
                               {"dialogpt-small", 12, 768, 12},
                               {"dialogpt-medium", 24, 1024, 16},
                               {"dialogpt-large", 36, 1280, 20}};

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t hashName(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Counter-based normal samples: element i depends only on (key, i), so the
// result is the same for any thread count and on any machine.
void fillNormal(std::vector<float>& out, uint64_t key, double stddev) {
  const size_t pairs = (out.size() + 1) / 2;
  const unsigned workers = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  const auto fillRange = [&](size_t from, size_t to) {
    constexpr double kTwoPi = 6.283185307179586;
    for (size_t p = from; p < to; ++p) {
      const uint64_t r1 = splitmix64(key ^ splitmix64(2 * p));
      const uint64_t r2 = splitmix64(key ^ splitmix64(2 * p + 1));
      const double u1 = (static_cast<double>(r1 >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
      const double u2 = static_cast<double>(r2 >> 11) * 0x1.0p-53;          // [0, 1)
      const double radius = std::sqrt(-2.0 * std::log(u1)) * stddev;
      out[2 * p] = static_cast<float>(radius * std::cos(kTwoPi * u2));
      if (2 * p + 1 < out.size())
        out[2 * p + 1] = static_cast<float>(radius * std::sin(kTwoPi * u2));
    }
  };
  std::vector<std::thread> threads;
  const size_t chunk = (pairs + workers - 1) / workers;
  for (unsigned w = 0; w < workers; ++w) {
    const size_t from = w * chunk, to = std::min(pairs, from + chunk);
    if (from < to) threads.emplace_back(fillRange, from, to);
  }
  for (auto& t : threads) t.join();
}

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> shape;
  WeightInit init;
};

// The GPT-2 layout, under GPT2LMHeadModel's names.
std::vector<PlannedTensor> planTensors(const ModelConfig& c) {
  std::vector<PlannedTensor> plan;
  for (const WeightSpec& spec : gpt2WeightSpecs(c)) {
    plan.push_back({"transformer." + spec.name, spec.shape, spec.init});
  }
  return plan;
}

void copyTokenizer(const fs::path& from, const fs::path& to) {
  // Loading validates the files before they are copied.
  Gpt2Tokenizer::load(from);
  const fs::path vocab =
      fs::exists(from / "vocab.json") ? from / "vocab.json" : from / "encoder.json";
  const fs::path merges =
      fs::exists(from / "merges.txt") ? from / "merges.txt" : from / "vocab.bpe";
  fs::copy_file(vocab, to / "vocab.json", fs::copy_options::overwrite_existing);
  fs::copy_file(merges, to / "merges.txt", fs::copy_options::overwrite_existing);
}

void writeTextFile(const fs::path& path, const std::string& text) {
  io::AtomicFile out(path);
  out.write(text.data(), text.size());
  out.commit();
}

int64_t elementCount(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

}  // namespace

std::vector<std::string> syntheticPresetNames() {
  std::vector<std::string> names;
  for (const auto& p : kPresets) names.emplace_back(p.name);
  return names;
}

ModelConfig syntheticPresetConfig(const std::string& name) {
  for (const auto& p : kPresets) {
    if (name != p.name) continue;
    ModelConfig c;
    c.nLayer = p.layers;
    c.nEmbd = p.embd;
    c.nHead = p.heads;
    c.nInner = 4 * p.embd;
    c.nPositions = 1024;
    c.vocabSize = 50257;
    c.synthetic = true;
    c.syntheticPreset = p.name;
    return c;
  }
  std::string known;
  for (const auto& p : kPresets) known += std::string(known.empty() ? "" : ", ") + p.name;
  throw Error("unknown preset '" + name + "' (known: " + known + ")");
}

void writeSyntheticModel(const fs::path& outDir, const SyntheticModelOptions& options) {
  ModelConfig config = syntheticPresetConfig(options.preset);
  config.syntheticSeed = options.seed;
  const fs::path configPath = outDir / "config.json";
  if (fs::exists(configPath) && !ModelConfig::fromFile(configPath).synthetic) {
    throw Error(configPath.string() + ": refusing to overwrite a model kvrecycle did not make");
  }
  const fs::path tokenizerDir =
      options.tokenizerDirectory.empty() ? defaultTokenizerDirectory() : options.tokenizerDirectory;
  if (!Gpt2Tokenizer::hasFiles(tokenizerDir)) {
    throw Error(tokenizerDir.string() + ": no GPT-2 tokenizer files (run the setup script, or " +
                "pass --tokenizer-dir)");
  }
  std::error_code ec;
  fs::create_directories(outDir, ec);
  if (ec) throw Error(outDir.string() + ": cannot create directory: " + ec.message());

  const std::vector<PlannedTensor> plan = planTensors(config);
  int64_t totalElements = 0, doneElements = 0;
  for (const auto& t : plan) totalElements += elementCount(t.shape);
  std::vector<std::vector<float>> storage;
  storage.reserve(plan.size());
  std::vector<TensorToWrite> tensors;
  for (const auto& t : plan) {
    const int64_t numel = elementCount(t.shape);
    std::vector<float> values(static_cast<size_t>(numel), t.init == WeightInit::Ones ? 1.f : 0.f);
    if (t.init == WeightInit::Normal) {
      fillNormal(values, splitmix64(options.seed) ^ hashName(t.name), options.initStd);
    }
    storage.push_back(std::move(values));
    tensors.push_back({t.name, DType::F32, t.shape, storage.back().data()});
    doneElements += numel;
    if (options.progress) options.progress(0.9 * static_cast<double>(doneElements) / totalElements);
  }
  writeSafetensors(outDir / "model.safetensors", tensors, {{"format", "pt"}});
  copyTokenizer(tokenizerDir, outDir);
  writeTextFile(configPath, config.toJson());
  if (options.progress) options.progress(1.0);
}

}  // namespace kvr
