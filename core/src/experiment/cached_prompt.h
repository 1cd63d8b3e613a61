#pragma once
// A cache prompt once its K/V are in the store.
#include <string>
#include <vector>

namespace kvr {

struct CachedPrompt {
  std::string promptId;
  std::string text;
  std::vector<int> tokens;  // as fed to the model (template applied)
  std::string entryId;      // K/V store entry
  std::vector<float> embedding;
};

}  // namespace kvr
