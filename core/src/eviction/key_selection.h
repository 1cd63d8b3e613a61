#pragma once
// Which cached positions an eviction method keeps, over one row of live flags
// (one layer's head, or a whole layer). Pure functions: no model, no torch.
#include <cstdint>
#include <vector>

namespace kvr::eviction {

int liveCount(const uint8_t* live, int length);

// Keeps at most `budget` of the live positions in [0, length): the first
// `sinks` live ones and the latest others (StreamingLLM).
void keepWindow(uint8_t* live, int length, int budget, int sinks);

// Keeps at most `budget` live positions: the latest `recent` ones and, of the
// rest, those with the highest score (ties: the earlier position).
void keepTopScored(uint8_t* live, int length, int budget, int recent, const float* scores);

// SnapKV's pooling: each position's score becomes the largest within
// `kernel` positions centred on it, so neighbours of a hot token survive too.
std::vector<float> maxPooled(const float* scores, int length, int kernel);

}  // namespace kvr::eviction
