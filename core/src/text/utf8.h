#pragma once
// Strict UTF-8 decoding (RFC 3629: no overlongs, no surrogates, <= U+10FFFF)
// with the byte offset of every code point, so token pieces map back to bytes.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kvr::text {

struct DecodedText {
  std::vector<char32_t> codePoints;
  std::vector<size_t> byteOffsets;  // size codePoints.size() + 1
};

// Throws kvr::Error("invalid UTF-8 at byte offset N") on malformed input.
DecodedText decodeUtf8(std::string_view bytes);

// Returns the offset of the first malformed byte, or npos if `bytes` is valid.
size_t findInvalidUtf8(std::string_view bytes);

void appendUtf8(std::string& out, char32_t cp);

// Replaces each malformed byte with U+FFFD, e.g. for generated text that ends
// inside a multi-byte character.
std::string toValidUtf8(std::string_view bytes);

}  // namespace kvr::text
