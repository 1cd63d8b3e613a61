#pragma once
// Prompt sets: the prompts of an experiment, read from and written to CSV
// (RFC 4180). Every reading error is a kvr::Error "SOURCE:LINE:COLUMN: what".
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace kvr {

struct Prompt {
  std::string id;    // from an `id` column, else the 1-based row number as text
  std::string text;  // the prompt, exactly as in the file (no trimming)
  int line = 0;      // 1-based physical line where the record starts
};

struct PromptSet {
  std::string source;  // file path or a label
  std::vector<Prompt> prompts;
  // From an optional `reference` column, one per prompt (else empty): a
  // continuation to score each prompt against (eviction fidelity).
  std::vector<std::string> references;
};

// A header is a first record with a cell named `prompt` (preferred) or `text`
// (case-insensitive, surrounding spaces ignored) and optionally `id` and
// `reference`; a first record with a single column that is not a header makes
// the file headerless (every record is a prompt). Blank lines are skipped, a UTF-8 BOM is skipped.
// Throws kvr::Error with message "SOURCE:LINE:COLUMN: what is wrong"
// (1-based line, 1-based column in bytes, not counting a BOM).
PromptSet readPromptCsv(const std::filesystem::path& path);  // streams the file
PromptSet parsePromptCsv(std::istream& in, const std::string& source);
PromptSet parsePromptCsv(std::string_view bytes, const std::string& source);

// Writes a CSV with header `id,prompt`, quoting fields when needed (RFC 4180),
// LF line ends, atomically. Throws kvr::Error naming the path, also for a set
// that could not be read back (empty prompt or id, duplicate id, invalid UTF-8,
// a field over 1 MiB).
void writePromptCsv(const std::filesystem::path& path, const PromptSet& set);

// Templates: "{prompt}" is replaced by the prompt text (e.g. "{prompt}<|endoftext|>").
// validatePromptTemplate throws kvr::Error unless the template contains "{prompt}" exactly once.
void validatePromptTemplate(const std::string& tmpl);
// Validates the template first, then substitutes.
std::string applyPromptTemplate(const std::string& tmpl, const std::string& prompt);

}  // namespace kvr
