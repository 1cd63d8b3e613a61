#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <limits>

#include "kvrecycle/error.h"
#include "kvrecycle/model.h"
#include "model/model_impl.h"

namespace kvr {

KVCache::KVCache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KVCache::~KVCache() = default;

int KVCache::length() const {
  return impl_->length();
}
int KVCache::capacity() const {
  return impl_->capacity;
}
const std::vector<int>& KVCache::tokens() const {
  return impl_->tokens;
}

void KVCache::truncate(int length) {
  if (length < 0 || length > impl_->length()) {
    throw Error("cannot truncate a K/V cache of " + std::to_string(impl_->length()) +
                " positions to " + std::to_string(length));
  }
  // The buffer keeps its bytes; positions >= length are overwritten by the next forward.
  impl_->tokens.resize(static_cast<size_t>(length));
}

void KVCache::reset() {
  Impl& c = *impl_;
  c.tokens.clear();
  if (c.written == 0) return;
  c10::InferenceMode inference;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (size_t l = 0; l < c.keys.size(); ++l) {
    c.keys[l].narrow(1, 0, c.written).fill_(nan);
    c.values[l].narrow(1, 0, c.written).fill_(nan);
  }
  c.written = 0;
}

void KVCache::copyPrefixFrom(const KVCache& other, int length) {
  const Impl& src = EngineAccess::of(other);
  if (length < 0 || length > src.length() || length > impl_->capacity) {
    throw Error("cannot copy " + std::to_string(length) + " positions from a K/V cache of " +
                std::to_string(src.length()) + " into one of capacity " +
                std::to_string(impl_->capacity));
  }
  if (src.keys.size() != impl_->keys.size() ||
      (length > 0 && src.keys[0].size(0) != impl_->keys[0].size(0)) ||
      (length > 0 && src.keys[0].size(2) != impl_->keys[0].size(2))) {
    throw Error("cannot copy K/V between caches of different model shapes");
  }
  c10::InferenceMode inference;
  for (size_t l = 0; l < impl_->keys.size(); ++l) {
    impl_->keys[l].narrow(1, 0, length).copy_(src.keys[l].narrow(1, 0, length));
    impl_->values[l].narrow(1, 0, length).copy_(src.values[l].narrow(1, 0, length));
  }
  impl_->tokens.assign(src.tokens.begin(), src.tokens.begin() + length);
  impl_->noteWritten(length);
}

int64_t KVCache::bytesPerPosition() const {
  if (impl_->keys.empty()) return 0;
  const at::Tensor& k = impl_->keys[0];
  return static_cast<int64_t>(impl_->keys.size()) * 2 * k.size(0) * k.size(2) *
         static_cast<int64_t>(k.element_size());
}

}  // namespace kvr
