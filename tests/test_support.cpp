#include "test_support.h"

#include <QFile>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

namespace kvr::test {

std::filesystem::path tinyModel() {
  return std::filesystem::path(KVR_TEST_MODELS) / "tiny";
}
std::filesystem::path tinyChaoticModel() {
  return std::filesystem::path(KVR_TEST_MODELS) / "tiny-chaotic";
}
std::filesystem::path dataFile(const std::string& name) {
  return std::filesystem::path(KVR_TEST_DATA) / name;
}
std::filesystem::path sampleFile(const std::string& name) {
  return std::filesystem::path(KVR_SAMPLES) / name;
}
QString cliPath() {
  return QStringLiteral(KVR_CLI);
}

QByteArray readBytes(const std::filesystem::path& path) {
  QFile f(QString::fromStdString(path.string()));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", path.c_str());
  return f.readAll();
}

void writeBytes(const std::filesystem::path& path, const QByteArray& bytes) {
  QFile f(QString::fromStdString(path.string()));
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write %s", path.c_str());
  f.write(bytes);
}

void copyModel(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to);
  for (const auto& entry : std::filesystem::directory_iterator(from)) {
    std::filesystem::copy_file(entry.path(), to / entry.path().filename(),
                               std::filesystem::copy_options::overwrite_existing);
  }
}

std::filesystem::path writeHubModel(const std::filesystem::path& hub, const std::string& repoId,
                                    const std::string& snapshot, const QByteArray& configJson) {
  std::string folder = "models--" + repoId;
  for (size_t at = folder.find('/'); at != std::string::npos; at = folder.find('/', at)) {
    folder.replace(at, 1, "--");
  }
  const std::filesystem::path repo = hub / folder;
  const std::filesystem::path dir = repo / "snapshots" / snapshot;
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(repo / "refs");
  writeBytes(repo / "refs" / "main", QByteArray::fromStdString(snapshot));
  writeBytes(dir / "config.json", configJson);
  return dir;
}

std::vector<std::string> listFiles(const std::filesystem::path& dir, const std::string& suffix) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      files.push_back(name);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<int> randomTokens(unsigned seed, int count) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, 50255);
  std::vector<int> ids;
  for (int i = 0; i < count; ++i) ids.push_back(dist(rng));
  return ids;
}

float maxAbsDiff(const float* a, const float* b, size_t n) {
  float worst = 0;
  for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

}  // namespace kvr::test
