#pragma once
// The models on this machine that a user can open: those in the Hugging Face
// hub cache and those kvrecycle made in its data directory. Listing reads only
// directory entries and config.json; it loads no weights, and an entry that
// cannot be read is left out rather than failing the whole list.
#include <filesystem>
#include <string>
#include <vector>

namespace kvr {

enum class ModelSource { HubCache, DataDirectory };
const char* modelSourceName(ModelSource source);  // "hub", "data"

struct CatalogEntry {
  std::string name;  // hub: "ORG/NAME" (from models--ORG--NAME); data directory: the folder name
  ModelSource source = ModelSource::HubCache;
  std::filesystem::path path;      // what to open: models--ORG--NAME, or the model folder
  std::filesystem::path snapshot;  // the folder holding config.json that loading uses
  bool synthetic = false;          // made by kvrecycle: random weights, meaningless text
  std::string modelType;           // config.json "model_type" ("gpt2"), "" when absent
};

// `models--*` folders of a hub cache directory with a snapshot holding a
// parseable config.json, sorted by name (case-insensitively).
std::vector<CatalogEntry> listHubModels(const std::filesystem::path& hubDirectory);
// Folders of `modelsDirectory` holding a parseable config.json, sorted by name.
std::vector<CatalogEntry> listDataDirectoryModels(const std::filesystem::path& modelsDirectory);
// Both, from huggingFaceHubDirectory() and modelsDirectory(): hub models first.
std::vector<CatalogEntry> listModels();

}  // namespace kvr
