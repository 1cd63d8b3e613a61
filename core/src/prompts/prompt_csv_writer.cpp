// Prompt sets to CSV: what readPromptCsv reads back byte for byte.
#include <unordered_map>

#include "io/atomic_file.h"
#include "kvrecycle/error.h"
#include "kvrecycle/prompt_set.h"
#include "kvrecycle/table_writer.h"
#include "prompts/prompt_text.h"
#include "text/utf8.h"

namespace kvr {
namespace fs = std::filesystem;
using prompts::excerpt;
using prompts::isBlank;
using prompts::kMaxFieldBytes;
using prompts::kMaxRecords;
namespace {

constexpr size_t kBufferBytes = size_t{64} << 10;

// Refuses what readPromptCsv would refuse, so a written set always reads back.
void checkWritable(const std::string& path, size_t index, const Prompt& p) {
  const std::string where =
      path + ": prompt " + std::to_string(index + 1) + " (id '" + excerpt(p.id) + "'): ";
  if (isBlank(p.id)) throw Error(where + "empty id");
  if (isBlank(p.text)) throw Error(where + "empty prompt");
  if (p.id.size() > kMaxFieldBytes || p.text.size() > kMaxFieldBytes) {
    throw Error(where + "field exceeds 1 MiB");
  }
  if (text::findInvalidUtf8(p.id) != std::string_view::npos ||
      text::findInvalidUtf8(p.text) != std::string_view::npos) {
    throw Error(where + "invalid UTF-8");
  }
}

}  // namespace

void writePromptCsv(const fs::path& path, const PromptSet& set) {
  const std::string name = path.string();
  if (set.prompts.empty()) throw Error(name + ": no prompts to write");
  if (set.prompts.size() > kMaxRecords) {
    throw Error(name + ": too many records (more than " + std::to_string(kMaxRecords) +
                " records)");
  }
  std::unordered_map<std::string_view, size_t> ids;
  for (size_t i = 0; i < set.prompts.size(); ++i) {
    const Prompt& p = set.prompts[i];
    checkWritable(name, i, p);
    const auto [it, inserted] = ids.emplace(p.id, i);
    if (!inserted) {
      throw Error(name + ": duplicate id '" + excerpt(p.id) + "' (prompts " +
                  std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }

  io::AtomicFile file(path);
  std::string buffer = "id,prompt\n";
  for (const Prompt& p : set.prompts) {
    buffer += csvField(p.id) + ',' + csvField(p.text) + '\n';
    if (buffer.size() >= kBufferBytes) {
      file.write(buffer.data(), buffer.size());
      buffer.clear();
    }
  }
  file.write(buffer.data(), buffer.size());
  file.commit();
}

}  // namespace kvr
