#include "prompts/prompt_text.h"

namespace kvr::prompts {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool isBlank(std::string_view s) {
  for (char c : s) {
    if (!isSpace(c)) return false;
  }
  return true;
}

std::string excerpt(std::string_view s) {
  if (s.size() <= 64) return std::string(s);
  size_t n = 60;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

}  // namespace kvr::prompts
