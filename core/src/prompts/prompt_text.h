#pragma once
// What the prompt CSV reader, writer and template share: the limits a prompt
// set must keep, and the text helpers their error messages use.
#include <cstddef>
#include <string>
#include <string_view>

namespace kvr::prompts {

inline constexpr size_t kMaxFieldBytes = size_t{1} << 20;
inline constexpr size_t kMaxRecords = 1000000;

bool isSpace(char c);
bool isBlank(std::string_view s);
// For messages: at most ~60 bytes, not cut inside a UTF-8 sequence.
std::string excerpt(std::string_view s);

}  // namespace kvr::prompts
