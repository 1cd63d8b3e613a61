#include "io/fingerprint.h"

#include <xxhash.h>

#include <cstdio>

namespace kvr {

Fingerprinter::Fingerprinter() : state_(XXH3_createState()) {
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

Fingerprinter::~Fingerprinter() {
  XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void Fingerprinter::add(const void* data, size_t size) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data, size);
}

std::string Fingerprinter::hex() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  char out[33];
  std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return out;
}

}  // namespace kvr
