#include "kvrecycle/tokenizer.h"

#include <nlohmann/json.hpp>

#include <array>
#include <climits>
#include <fstream>
#include <functional>
#include <mutex>
#include <queue>
#include <sstream>
#include <unordered_map>

#include "kvrecycle/error.h"
#include "text/gpt2_pretokenizer.h"
#include "text/utf8.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";
constexpr size_t kMaxCachedPieces = 200000;
// Longer pieces (rare in text, e.g. a run of symbols) are not cached, so the
// cache's memory stays bounded whatever the input.
constexpr size_t kMaxCachedPieceBytes = 256;

// GPT-2's reversible map from bytes to printable code points.
std::array<char32_t, 256> byteToCodePoint() {
  std::array<char32_t, 256> map{};
  std::array<bool, 256> direct{};
  for (int b = 0; b < 256; ++b) {
    direct[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  }
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) map[b] = direct[b] ? static_cast<char32_t>(b) : next++;
  return map;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path firstExisting(const fs::path& dir, const char* a, const char* b) {
  if (fs::exists(dir / a)) return dir / a;
  if (fs::exists(dir / b)) return dir / b;
  return {};
}

uint64_t pairKey(int a, int b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

struct Gpt2Tokenizer::Impl {
  std::unordered_map<std::string, int> vocab;                // byte-mapped token text -> id
  std::vector<std::string> idBytes;                          // id -> raw bytes
  std::array<int, 256> byteIds{};                            // single byte -> id
  std::unordered_map<uint64_t, std::pair<int, int>> merges;  // (a, b) -> (rank, merged id)
  int endOfText = -1;

  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int>> pieceCache;

  void loadVocab(const fs::path& path);
  void loadMerges(const fs::path& path);
  std::vector<int> bpe(std::string_view pieceBytes) const;
  void encodeText(std::string_view text, std::vector<int>& out) const;
};

void Gpt2Tokenizer::Impl::loadVocab(const fs::path& path) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(readFile(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
  if (!json.is_object() || json.empty()) throw Error(path.string() + ": expected a JSON object");
  const auto byteMap = byteToCodePoint();
  std::unordered_map<char32_t, int> codePointToByte;
  for (int b = 0; b < 256; ++b) codePointToByte[byteMap[b]] = b;

  for (auto it = json.begin(); it != json.end(); ++it) {
    if (!it.value().is_number_integer()) {
      throw Error(path.string() + ": token '" + it.key() + "' has a non-integer id");
    }
    const long long id = it.value().get<long long>();
    if (id < 0 || id >= INT_MAX / 2) {
      throw Error(path.string() + ": token '" + it.key() + "' has an out-of-range id");
    }
    if (static_cast<size_t>(id) >= idBytes.size()) idBytes.resize(id + 1);
    // Vocabulary keys are byte-mapped; characters outside the map are taken literally.
    std::string raw;
    for (char32_t cp : text::decodeUtf8(it.key()).codePoints) {
      const auto b = codePointToByte.find(cp);
      if (b != codePointToByte.end()) {
        raw += static_cast<char>(b->second);
      } else {
        text::appendUtf8(raw, cp);
      }
    }
    idBytes[id] = std::move(raw);
    vocab.emplace(it.key(), static_cast<int>(id));
  }
  for (int b = 0; b < 256; ++b) {
    std::string key;
    text::appendUtf8(key, byteMap[b]);
    const auto found = vocab.find(key);
    if (found == vocab.end()) {
      throw Error(path.string() + ": byte " + std::to_string(b) + " has no token");
    }
    byteIds[b] = found->second;
  }
  const auto eot = vocab.find(std::string(kEndOfText));
  if (eot != vocab.end()) endOfText = eot->second;
}

void Gpt2Tokenizer::Impl::loadMerges(const fs::path& path) {
  std::istringstream in(readFile(path));
  std::string line;
  int lineNo = 0;
  int rank = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineNo == 1 && line.rfind("#version", 0) == 0)) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 ||
        line.find(' ', space + 1) != std::string::npos) {
      throw Error(path.string() + ":" + std::to_string(lineNo) + ": expected two symbols");
    }
    const std::string a = line.substr(0, space);
    const std::string b = line.substr(space + 1);
    const auto ia = vocab.find(a);
    const auto ib = vocab.find(b);
    const auto iab = vocab.find(a + b);
    if (ia == vocab.end() || ib == vocab.end() || iab == vocab.end()) {
      throw Error(path.string() + ":" + std::to_string(lineNo) + ": merge '" + line +
                  "' uses a symbol missing from the vocabulary");
    }
    merges.try_emplace(pairKey(ia->second, ib->second), rank++, iab->second);
  }
  if (merges.empty()) throw Error(path.string() + ": no merges");
}

// encoder.py's algorithm: while some adjacent pair has a merge, take the pair
// of lowest rank and merge all its occurrences, left to right. Done naively
// (rescanning the word per merge) that is quadratic in the piece length, so the
// symbols form a linked list over byte positions and the candidate pairs sit in
// a min-heap ordered by (rank, position): each round pops every occurrence of
// the lowest-rank pair, in position order, merges those still present, and
// only then queues the pairs the merges created. O(n log n), same ids.
std::vector<int> Gpt2Tokenizer::Impl::bpe(std::string_view pieceBytes) const {
  const size_t n = pieceBytes.size();
  std::vector<int> symbol(n);            // id of the symbol starting at byte i (while alive)
  std::vector<size_t> prev(n), next(n);  // live neighbours; npos / n at the ends
  std::vector<bool> alive(n, true);
  for (size_t i = 0; i < n; ++i) {
    symbol[i] = byteIds[static_cast<unsigned char>(pieceBytes[i])];
    prev[i] = i == 0 ? std::string_view::npos : i - 1;
    next[i] = i + 1;
  }
  struct Candidate {
    int rank;
    size_t pos;  // the left symbol
    int left, right, merged;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  const auto push = [&](size_t pos) {
    if (pos >= n || !alive[pos] || next[pos] >= n) return;
    const int a = symbol[pos], b = symbol[next[pos]];
    const auto m = merges.find(pairKey(a, b));
    if (m != merges.end()) heap.push({m->second.first, pos, a, b, m->second.second});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(i);

  std::vector<size_t> touched;
  while (!heap.empty()) {
    const int rank = heap.top().rank;
    touched.clear();
    while (!heap.empty() && heap.top().rank == rank) {
      const Candidate c = heap.top();
      heap.pop();
      // Skip occurrences that an earlier merge changed.
      if (!alive[c.pos] || symbol[c.pos] != c.left || next[c.pos] >= n ||
          symbol[next[c.pos]] != c.right) {
        continue;
      }
      const size_t right = next[c.pos];
      symbol[c.pos] = c.merged;
      alive[right] = false;
      next[c.pos] = next[right];
      if (next[right] < n) prev[next[right]] = c.pos;
      touched.push_back(c.pos);
    }
    for (size_t pos : touched) {
      if (!alive[pos]) continue;
      push(prev[pos]);  // npos when pos is the first symbol
      push(pos);
    }
  }
  std::vector<int> word;
  for (size_t i = 0; i < n; i = next[i]) word.push_back(symbol[i]);
  return word;
}

void Gpt2Tokenizer::Impl::encodeText(std::string_view text, std::vector<int>& out) const {
  const text::DecodedText decoded = text::decodeUtf8(text);
  for (const auto& [begin, end] : text::splitGpt2Pieces(decoded.codePoints)) {
    const size_t from = decoded.byteOffsets[begin];
    const std::string piece(text.substr(from, decoded.byteOffsets[end] - from));
    if (piece.size() > kMaxCachedPieceBytes) {
      const std::vector<int> ids = bpe(piece);
      out.insert(out.end(), ids.begin(), ids.end());
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      const auto hit = pieceCache.find(piece);
      if (hit != pieceCache.end()) {
        out.insert(out.end(), hit->second.begin(), hit->second.end());
        continue;
      }
    }
    std::vector<int> ids = bpe(piece);
    out.insert(out.end(), ids.begin(), ids.end());
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (pieceCache.size() >= kMaxCachedPieces) pieceCache.clear();
    pieceCache.emplace(piece, std::move(ids));
  }
}

Gpt2Tokenizer::Gpt2Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gpt2Tokenizer::~Gpt2Tokenizer() = default;

bool Gpt2Tokenizer::hasFiles(const fs::path& dir) {
  return (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt")) ||
         (fs::exists(dir / "encoder.json") && fs::exists(dir / "vocab.bpe"));
}

std::unique_ptr<Gpt2Tokenizer> Gpt2Tokenizer::load(const fs::path& dir) {
  const fs::path vocabPath = firstExisting(dir, "vocab.json", "encoder.json");
  const fs::path mergesPath = firstExisting(dir, "merges.txt", "vocab.bpe");
  if (vocabPath.empty() || mergesPath.empty()) {
    throw Error(dir.string() + ": no GPT-2 tokenizer (vocab.json + merges.txt or " +
                "encoder.json + vocab.bpe)");
  }
  auto impl = std::make_unique<Impl>();
  impl->loadVocab(vocabPath);
  impl->loadMerges(mergesPath);
  return std::unique_ptr<Gpt2Tokenizer>(new Gpt2Tokenizer(std::move(impl)));
}

std::vector<int> Gpt2Tokenizer::encode(std::string_view text) const {
  const size_t bad = text::findInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    throw Error("invalid UTF-8 at byte offset " + std::to_string(bad));
  }
  std::vector<int> ids;
  ids.reserve(text.size() / 3 + 1);
  // <|endoftext|> is a special token: split it out before pre-tokenizing.
  size_t pos = 0;
  while (impl_->endOfText >= 0) {
    const size_t hit = text.find(kEndOfText, pos);
    if (hit == std::string_view::npos) break;
    impl_->encodeText(text.substr(pos, hit - pos), ids);
    ids.push_back(impl_->endOfText);
    pos = hit + kEndOfText.size();
  }
  impl_->encodeText(text.substr(pos), ids);
  return ids;
}

std::string Gpt2Tokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  for (int id : ids) out += tokenBytes(id);
  return out;
}

std::string Gpt2Tokenizer::tokenBytes(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->idBytes.size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                std::to_string(impl_->idBytes.size()) + ")");
  }
  return impl_->idBytes[id];
}

int Gpt2Tokenizer::vocabSize() const {
  return static_cast<int>(impl_->idBytes.size());
}
int Gpt2Tokenizer::endOfTextId() const {
  return impl_->endOfText;
}

}  // namespace kvr
