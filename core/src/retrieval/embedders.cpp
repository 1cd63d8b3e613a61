#include "kvrecycle/embedders.h"

#include <xxhash.h>

#include <cctype>
#include <cmath>

#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "text/utf8.h"

namespace kvr {
namespace {

void normalize(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm <= 0) return;
  const float scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= scale;
}

class HashedNgramEmbedder : public Embedder {
 public:
  explicit HashedNgramEmbedder(int dimension) : dimension_(dimension) {}
  std::string name() const override { return "hashed"; }
  int dimension() const override { return dimension_; }

  std::vector<float> embed(const std::string& text) const override {
    std::vector<float> v(static_cast<size_t>(dimension_), 0.f);
    // Lower-cased ASCII; other bytes (UTF-8 sequences) are kept as word characters.
    std::string normalized;
    for (unsigned char c : text) normalized += static_cast<char>(std::tolower(c));
    std::vector<std::string> words;
    std::string word;
    for (char c : normalized) {
      const auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || u >= 0x80) {
        word += c;
      } else if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
      }
    }
    if (!word.empty()) words.push_back(std::move(word));
    for (size_t i = 0; i < words.size(); ++i) {
      add(v, "w:" + words[i], 1.0f);
      if (i + 1 < words.size()) add(v, "b:" + words[i] + " " + words[i + 1], 1.0f);
    }
    const std::string padded = " " + normalized + " ";
    for (size_t i = 0; i + 3 <= padded.size(); ++i) add(v, "c:" + padded.substr(i, 3), 0.5f);
    normalize(v);
    return v;
  }

 private:
  void add(std::vector<float>& v, const std::string& feature, float weight) const {
    const uint64_t h = XXH64(feature.data(), feature.size(), 0x6b7672);
    const float sign = (h >> 63) != 0 ? -1.f : 1.f;
    v[static_cast<size_t>(h % static_cast<uint64_t>(dimension_))] += sign * weight;
  }
  int dimension_;
};

class ModelEmbedder : public Embedder {
 public:
  explicit ModelEmbedder(const Model& model) : model_(model) {}
  std::string name() const override { return "model"; }
  int dimension() const override { return model_.config().nEmbd; }
  std::vector<float> embed(const std::string& text) const override {
    std::vector<float> v =
        model_.meanHiddenState(model_.tokenizer().encode(text::toValidUtf8(text)));
    normalize(v);
    return v;
  }

 private:
  const Model& model_;
};

}  // namespace

std::unique_ptr<Embedder> makeHashedNgramEmbedder(int dimension) {
  return std::make_unique<HashedNgramEmbedder>(dimension);
}

std::unique_ptr<Embedder> makeModelEmbedder(const Model& model) {
  return std::make_unique<ModelEmbedder>(model);
}

std::vector<std::string> embedderNames() {
  return {"hashed", "model"};
}

const char* embedderKindName(EmbedderKind kind) {
  return kind == EmbedderKind::Model ? "model" : "hashed";
}

EmbedderKind parseEmbedderKind(const std::string& name) {
  if (name == "hashed") return EmbedderKind::Hashed;
  if (name == "model") return EmbedderKind::Model;
  throw Error("unknown embedder '" + name + "' (expected hashed or model)");
}

std::unique_ptr<Embedder> makeEmbedder(EmbedderKind kind, const Model& model) {
  return kind == EmbedderKind::Model ? makeModelEmbedder(model) : makeHashedNgramEmbedder();
}

double cosineSimilarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

}  // namespace kvr
