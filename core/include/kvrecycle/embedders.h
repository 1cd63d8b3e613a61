#pragma once
// Sentence embeddings for prompt retrieval and output similarity. Every
// embedder returns L2-normalized vectors (all zeros for empty text).
#include <memory>
#include <string>
#include <vector>

namespace kvr {

class Model;

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string name() const = 0;
  virtual int dimension() const = 0;
  virtual std::vector<float> embed(const std::string& text) const = 0;
};

// "hashed": word unigrams and bigrams and character trigrams, feature-hashed
// with signs into 1024 buckets. Needs no weights; deterministic everywhere.
std::unique_ptr<Embedder> makeHashedNgramEmbedder(int dimension = 1024);
// "model": mean-pooled final hidden states of `model` (kept by reference).
std::unique_ptr<Embedder> makeModelEmbedder(const Model& model);
enum class EmbedderKind { Hashed, Model };
const char* embedderKindName(EmbedderKind kind);          // "hashed", "model"
EmbedderKind parseEmbedderKind(const std::string& name);  // throws kvr::Error when unknown
std::vector<std::string> embedderNames();
std::unique_ptr<Embedder> makeEmbedder(EmbedderKind kind, const Model& model);

// Cosine similarity; 0 when either vector is zero.
double cosineSimilarity(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace kvr
