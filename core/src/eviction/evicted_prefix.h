#pragma once
// Eviction combined with recycling (issue 12 item 4): a prompt's K/V after an
// eviction method's prefill is stored with only its live entries, so a later
// prompt that shares the prefix loads fewer bytes. The entries the method
// evicted stay masked out of that prompt's attention; its own suffix and the
// tokens it generates are kept whole.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "kvrecycle/eviction.h"

namespace kvr {

struct EvictedPrefix {
  std::vector<int> tokens;
  int layers = 0, heads = 0, headDim = 0;
  std::vector<uint8_t> live;        // [layer][head][tokens], 1 = kept
  std::vector<float> keys, values;  // the kept entries, [layer][head][position] order, headDim each

  // Kept entries (token x layer x head) at positions < upTo.
  int64_t liveEntries(int upTo) const;
  // What a prompt reusing `upTo` positions loads: their kept K and V (fp32)
  // and their mask. fullBytes: the same positions without eviction.
  int64_t loadBytes(int upTo) const;
  int64_t fullBytes(int upTo) const;
};

// The prefix's K/V after `settings`' prefill (its eviction during and after it).
EvictedPrefix captureEvictedPrefix(const Model& model, const std::vector<int>& tokens,
                                   const EvictionSettings& settings);

// Greedy generation of `newTokens` for `prompt`, whose first `reuse` tokens
// (<= prefix.tokens.size(), equal to the prefix's) are loaded from `prefix`.
EvictedPass generateFromEvictedPrefix(const Model& model, const EvictedPrefix& prefix, int reuse,
                                      const std::vector<int>& prompt, int newTokens);

// Safetensors with the model's fingerprint and a checksum of the data; written
// atomically. read throws kvr::Error naming the file for anything that does
// not match `model` or fails its checksum.
void writeEvictedPrefix(const std::filesystem::path& path, const EvictedPrefix& prefix,
                        const Model& model, const EvictionSettings& settings);
EvictedPrefix readEvictedPrefix(const std::filesystem::path& path, const Model& model);

}  // namespace kvr
