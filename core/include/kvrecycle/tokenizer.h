#pragma once
// GPT-2 byte-level BPE tokenizer, id-for-id compatible with OpenAI's encoder.py
// and Hugging Face's GPT2Tokenizer (including the <|endoftext|> special token).
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kvr {

class Gpt2Tokenizer {
 public:
  // Loads vocab.json + merges.txt, or encoder.json + vocab.bpe, from `dir`.
  static std::unique_ptr<Gpt2Tokenizer> load(const std::filesystem::path& dir);
  // True when `dir` holds one of the two file pairs above.
  static bool hasFiles(const std::filesystem::path& dir);

  ~Gpt2Tokenizer();
  Gpt2Tokenizer(const Gpt2Tokenizer&) = delete;
  Gpt2Tokenizer& operator=(const Gpt2Tokenizer&) = delete;

  // Throws kvr::Error naming the byte offset when `text` is not valid UTF-8.
  std::vector<int> encode(std::string_view text) const;
  // Throws kvr::Error for an id outside the vocabulary. Ids that split a UTF-8
  // sequence yield its raw bytes; decode(encode(x)) == x for any valid x.
  std::string decode(const std::vector<int>& ids) const;
  // The text of one token (raw bytes, possibly a partial UTF-8 sequence).
  std::string tokenBytes(int id) const;

  int vocabSize() const;
  int endOfTextId() const;

 private:
  struct Impl;
  explicit Gpt2Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvr
