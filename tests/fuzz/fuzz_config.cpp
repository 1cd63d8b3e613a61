// libFuzzer harness: config.json parsing (kvr::ModelConfig::parse). A config
// that parses must survive toJson() and parse again with every field equal.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kvrecycle/error.h"
#include "kvrecycle/model_config.h"

namespace {

bool sameFields(const kvr::ModelConfig& a, const kvr::ModelConfig& b) {
  return a.nLayer == b.nLayer && a.nEmbd == b.nEmbd && a.nHead == b.nHead &&
         a.nPositions == b.nPositions && a.vocabSize == b.vocabSize && a.nInner == b.nInner &&
         a.layerNormEpsilon == b.layerNormEpsilon && a.activation == b.activation &&
         a.scaleAttnByInverseLayerIdx == b.scaleAttnByInverseLayerIdx &&
         a.eosTokenId == b.eosTokenId && a.synthetic == b.synthetic &&
         a.syntheticPreset == b.syntheticPreset && a.syntheticSeed == b.syntheticSeed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kvr::ModelConfig config;
  try {
    config =
        kvr::ModelConfig::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const kvr::Error&) {
    return 0;
  }
  if (config.nLayer <= 0 || config.nEmbd <= 0 || config.nHead <= 0 || config.nPositions <= 0 ||
      config.vocabSize <= 0 || config.nInner <= 0 || config.nEmbd % config.nHead != 0 ||
      !(config.layerNormEpsilon > 0)) {
    std::abort();
  }
  (void)config.headDim();
  (void)config.parameterCount();
  const std::string json = config.toJson();
  kvr::ModelConfig again;
  try {
    again = kvr::ModelConfig::parse(json, "fuzz (round trip)");
  } catch (const kvr::Error& e) {
    std::fprintf(stderr, "round trip failed: %s\n%s\n", e.what(), json.c_str());
    std::abort();
  }
  if (!sameFields(config, again)) {
    std::fprintf(stderr, "round trip changed a field:\n%s\n", json.c_str());
    std::abort();
  }
  return 0;
}
