#pragma once
// Fast content fingerprints (xxh3-128, hex) for model and K/V identity.
#include <string>
#include <string_view>

namespace kvr {

class Fingerprinter {
 public:
  Fingerprinter();
  ~Fingerprinter();
  Fingerprinter(const Fingerprinter&) = delete;
  Fingerprinter& operator=(const Fingerprinter&) = delete;

  void add(const void* data, size_t size);
  void add(std::string_view text) { add(text.data(), text.size()); }
  std::string hex() const;

 private:
  void* state_;
};

}  // namespace kvr
