// libFuzzer harness: GPT-2 BPE encoding (kvr::Gpt2Tokenizer::encode) of
// arbitrary bytes. Valid UTF-8 must round-trip (decode(encode(x)) == x);
// invalid UTF-8 must throw kvr::Error. The tokenizer files are the ones
// packaging/setup.sh fetches: $KVRECYCLE_DATA_DIR/tokenizer/gpt2, by default
// ~/.local/share/kvrecycle/tokenizer/gpt2.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvrecycle/error.h"
#include "kvrecycle/paths.h"
#include "kvrecycle/tokenizer.h"

namespace {

std::unique_ptr<kvr::Gpt2Tokenizer> tokenizer;

// An independent strict UTF-8 check (RFC 3629), to judge the tokenizer's own.
bool isValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c <= 0x7F) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlongs
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlongs
      if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF
    } else {
      return false;
    }
    if (i + len > s.size() || b(i + 1) < lo || b(i + 1) > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if (b(i + k) < 0x80 || b(i + k) > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const auto dir = kvr::defaultTokenizerDirectory();
  try {
    tokenizer = kvr::Gpt2Tokenizer::load(dir);
  } catch (const kvr::Error& e) {
    std::fprintf(stderr,
                 "fuzz_tokenizer: cannot load the GPT-2 tokenizer from %s: %s\n"
                 "(run packaging/setup.sh, or set KVRECYCLE_DATA_DIR)\n",
                 dir.c_str(), e.what());
    std::exit(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = isValidUtf8(text);
  std::vector<int> ids;
  try {
    ids = tokenizer->encode(text);
  } catch (const kvr::Error& e) {
    if (!valid) return 0;
    std::fprintf(stderr, "valid UTF-8 was refused: %s\n", e.what());
    std::abort();
  }
  if (!valid) {
    std::fprintf(stderr, "invalid UTF-8 was encoded (%zu ids)\n", ids.size());
    std::abort();
  }
  if (ids.size() > size) std::abort();  // every token covers at least one byte
  if (tokenizer->decode(ids) != text) {
    std::fprintf(stderr, "decode(encode(x)) != x\n");
    std::abort();
  }
  return 0;
}
