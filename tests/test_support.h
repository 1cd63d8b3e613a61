#pragma once
// Paths and small file helpers shared by the test suites.
#include <QByteArray>
#include <QString>

#include <filesystem>
#include <string>
#include <vector>

namespace kvr::test {

std::filesystem::path tinyModel();         // standard GPT-2 init (std 0.02)
std::filesystem::path tinyChaoticModel();  // init std 0.3: outputs depend on the whole prompt
std::filesystem::path dataFile(const std::string& name);
std::filesystem::path sampleFile(const std::string& name);  // resources/samples
QString cliPath();

QByteArray readBytes(const std::filesystem::path& path);
void writeBytes(const std::filesystem::path& path, const QByteArray& bytes);
// Copies a model directory (config, weights, tokenizer) for a test to break.
void copyModel(const std::filesystem::path& from, const std::filesystem::path& to);

// A model as the Hugging Face hub cache stores it:
// <hub>/models--ORG--NAME/refs/main naming snapshots/<snapshot>/config.json.
// Returns the snapshot folder.
std::filesystem::path writeHubModel(const std::filesystem::path& hub, const std::string& repoId,
                                    const std::string& snapshot, const QByteArray& configJson);

// Files in `dir` whose names end with `suffix`, sorted.
std::vector<std::string> listFiles(const std::filesystem::path& dir, const std::string& suffix);

// The largest |a[i] - b[i]| over n values.
float maxAbsDiff(const float* a, const float* b, size_t n);

// Deterministic pseudo-random token ids below 50256.
std::vector<int> randomTokens(unsigned seed, int count);

}  // namespace kvr::test
