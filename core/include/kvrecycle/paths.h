#pragma once
// Where kvrecycle keeps its data, and how a user-given model path becomes a
// directory holding config.json (including the Hugging Face hub cache layout).
#include <filesystem>
#include <string>

namespace kvr {

// Where a run database keeps its K/V store unless told otherwise: runs.db -> runs-kv/ beside it.
std::filesystem::path defaultKvStoreDirectory(const std::filesystem::path& database);

// $KVRECYCLE_DATA_DIR, else $XDG_DATA_HOME/kvrecycle, else ~/.local/share/kvrecycle.
std::filesystem::path dataDirectory();
// The GPT-2 tokenizer files fetched by the setup script: <data>/tokenizer/gpt2.
std::filesystem::path defaultTokenizerDirectory();
// Models kvrecycle makes: <data>/models; synthetic preset P goes to <data>/models/synthetic-P.
std::filesystem::path modelsDirectory();
std::filesystem::path syntheticModelDirectory(const std::string& preset);

// The Hugging Face hub cache, found as huggingface_hub finds it: $HF_HUB_CACHE,
// else $HF_HOME/hub, else ~/.cache/huggingface/hub (empty when there is no home).
std::filesystem::path huggingFaceHubDirectory();
// The snapshot of a hub cache directory `models--ORG--NAME` that loading uses:
// the one named by refs/main, else the newest with a config.json. Empty when
// there is none; never throws.
std::filesystem::path hubSnapshotDirectory(const std::filesystem::path& cacheDir);

// Accepts a model directory, or a hub cache directory `models--ORG--NAME`
// (its snapshot named by refs/main, else the newest snapshot). Throws
// kvr::Error naming the path when no config.json is found.
std::filesystem::path resolveModelDirectory(const std::filesystem::path& path);

}  // namespace kvr
