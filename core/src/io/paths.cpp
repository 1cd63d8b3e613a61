#include "kvrecycle/paths.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "kvrecycle/error.h"

namespace kvr {
namespace fs = std::filesystem;
namespace {

fs::path envPath(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? fs::path(value) : fs::path();
}

// Existence checks that treat an unreadable path as missing: listing must not
// stop at one broken entry.
bool existsQuietly(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

fs::path snapshotFromRef(const fs::path& cacheDir) {
  std::ifstream ref(cacheDir / "refs" / "main");
  std::string hash;
  if (ref && std::getline(ref, hash) && !hash.empty()) {
    const fs::path snapshot = cacheDir / "snapshots" / hash;
    if (existsQuietly(snapshot / "config.json")) return snapshot;
  }
  return {};
}

fs::path newestSnapshot(const fs::path& cacheDir) {
  fs::path best;
  fs::file_time_type bestTime{};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cacheDir / "snapshots", ec)) {
    if (!existsQuietly(entry.path() / "config.json")) continue;
    const auto time = fs::last_write_time(entry.path(), ec);
    if (ec) continue;
    if (best.empty() || time > bestTime) best = entry.path(), bestTime = time;
  }
  return best;
}

}  // namespace

fs::path dataDirectory() {
  if (fs::path dir = envPath("KVRECYCLE_DATA_DIR"); !dir.empty()) return dir;
  if (fs::path xdg = envPath("XDG_DATA_HOME"); !xdg.empty()) return xdg / "kvrecycle";
  if (fs::path home = envPath("HOME"); !home.empty()) {
    return home / ".local" / "share" / "kvrecycle";
  }
  return fs::current_path() / ".kvrecycle";
}

fs::path defaultTokenizerDirectory() {
  return dataDirectory() / "tokenizer" / "gpt2";
}

fs::path modelsDirectory() {
  return dataDirectory() / "models";
}

fs::path syntheticModelDirectory(const std::string& preset) {
  return modelsDirectory() / ("synthetic-" + preset);
}

fs::path huggingFaceHubDirectory() {
  if (fs::path dir = envPath("HF_HUB_CACHE"); !dir.empty()) return dir;
  if (fs::path home = envPath("HF_HOME"); !home.empty()) return home / "hub";
  if (fs::path home = envPath("HOME"); !home.empty()) {
    return home / ".cache" / "huggingface" / "hub";
  }
  return {};
}

fs::path hubSnapshotDirectory(const fs::path& cacheDir) {
  if (fs::path s = snapshotFromRef(cacheDir); !s.empty()) return s;
  return newestSnapshot(cacheDir);
}

fs::path resolveModelDirectory(const fs::path& path) {
  if (!fs::exists(path)) throw Error(path.string() + ": no such model directory");
  if (!fs::is_directory(path)) throw Error(path.string() + ": not a directory");
  if (fs::exists(path / "config.json")) return path;
  if (fs::is_directory(path / "snapshots")) {
    if (fs::path s = hubSnapshotDirectory(path); !s.empty()) return s;
    throw Error(path.string() + ": hub cache directory has no snapshot with a config.json");
  }
  throw Error((path / "config.json").string() + ": missing (not a model directory)");
}

fs::path defaultKvStoreDirectory(const fs::path& database) {
  return database.parent_path() / (database.stem().string() + "-kv");
}

}  // namespace kvr
