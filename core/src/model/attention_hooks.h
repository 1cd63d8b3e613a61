#pragma once
// What eviction (core/src/eviction) asks of the forward pass: attend only to
// live cached positions, and report how much attention each position received.
// Plain memory, no torch, so every forward path can honour them.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kvr {

// Per layer and head, whether each cache position takes part in attention
// (1 = live). Positions a forward writes must be live when it runs.
struct KeyMask {
  int layers = 0, heads = 0, capacity = 0;
  std::vector<uint8_t> live;  // [layer][head][capacity]

  KeyMask(int layers_, int heads_, int capacity_)
      : layers(layers_),
        heads(heads_),
        capacity(capacity_),
        live(static_cast<size_t>(layers_) * heads_ * capacity_, 1) {}
  uint8_t* row(int layer, int head) {
    return live.data() + (static_cast<size_t>(layer) * heads + head) * capacity;
  }
  const uint8_t* row(int layer, int head) const {
    return live.data() + (static_cast<size_t>(layer) * heads + head) * capacity;
  }
};

// Sums, per layer, head and key position, the attention weights given by the
// queries at positions >= fromPosition (softmax rows after masking).
struct AttentionTap {
  int layers = 0, heads = 0, capacity = 0;
  int fromPosition = 0;
  std::vector<float> sums;  // [layer][head][capacity]

  AttentionTap(int layers_, int heads_, int capacity_)
      : layers(layers_),
        heads(heads_),
        capacity(capacity_),
        sums(static_cast<size_t>(layers_) * heads_ * capacity_, 0.0f) {}
  float* row(int layer, int head) {
    return sums.data() + (static_cast<size_t>(layer) * heads + head) * capacity;
  }
  const float* row(int layer, int head) const {
    return sums.data() + (static_cast<size_t>(layer) * heads + head) * capacity;
  }
};

}  // namespace kvr
