#include "kvrecycle/model_catalog.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <string_view>

#include "kvrecycle/paths.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kHubPrefix = "models--";

// The folders directly inside `dir`; an unreadable directory or entry is skipped.
std::vector<fs::path> subdirectories(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code typeError;
    if (it->is_directory(typeError)) out.push_back(it->path());
  }
  return out;
}

// The fields of config.json the catalog shows; nullopt when it cannot be read or parsed.
std::optional<CatalogEntry> describeConfig(const fs::path& snapshot) {
  std::ifstream in(snapshot / "config.json");
  if (!in) return std::nullopt;
  const nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return std::nullopt;
  CatalogEntry entry;
  entry.snapshot = snapshot;
  const auto synthetic = config.find("kvrecycle_synthetic");
  entry.synthetic = synthetic != config.end() && synthetic->is_boolean() && synthetic->get<bool>();
  const auto type = config.find("model_type");
  if (type != config.end() && type->is_string()) entry.modelType = type->get<std::string>();
  return entry;
}

// "models--microsoft--DialoGPT-medium" -> "microsoft/DialoGPT-medium".
std::string hubModelName(const std::string& folder) {
  std::string name = folder.substr(kHubPrefix.size());
  for (size_t at = name.find("--"); at != std::string::npos; at = name.find("--", at + 1)) {
    name.replace(at, 2, "/");
  }
  return name;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void sortByName(std::vector<CatalogEntry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
    return lowercase(a.name) < lowercase(b.name);
  });
}

}  // namespace

const char* modelSourceName(ModelSource source) {
  return source == ModelSource::HubCache ? "hub" : "data";
}

std::vector<CatalogEntry> listHubModels(const fs::path& hubDirectory) {
  std::vector<CatalogEntry> out;
  if (hubDirectory.empty()) return out;
  for (const fs::path& dir : subdirectories(hubDirectory)) {
    const std::string folder = dir.filename().string();
    if (folder.rfind(kHubPrefix, 0) != 0 || folder.size() == kHubPrefix.size()) continue;
    const fs::path snapshot = hubSnapshotDirectory(dir);
    if (snapshot.empty()) continue;  // an interrupted download: nothing to load yet
    std::optional<CatalogEntry> entry = describeConfig(snapshot);
    if (!entry) continue;
    entry->name = hubModelName(folder);
    entry->source = ModelSource::HubCache;
    entry->path = dir;
    out.push_back(std::move(*entry));
  }
  sortByName(out);
  return out;
}

std::vector<CatalogEntry> listDataDirectoryModels(const fs::path& modelsDirectory) {
  std::vector<CatalogEntry> out;
  if (modelsDirectory.empty()) return out;
  for (const fs::path& dir : subdirectories(modelsDirectory)) {
    std::optional<CatalogEntry> entry = describeConfig(dir);
    if (!entry) continue;
    entry->name = dir.filename().string();
    entry->source = ModelSource::DataDirectory;
    entry->path = dir;
    out.push_back(std::move(*entry));
  }
  sortByName(out);
  return out;
}

std::vector<CatalogEntry> listModels() {
  std::vector<CatalogEntry> out = listHubModels(huggingFaceHubDirectory());
  std::vector<CatalogEntry> own = listDataDirectoryModels(modelsDirectory());
  out.insert(out.end(), std::make_move_iterator(own.begin()), std::make_move_iterator(own.end()));
  return out;
}

}  // namespace kvr
