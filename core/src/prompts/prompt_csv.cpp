// Prompt sets from CSV (RFC 4180); prompt_csv_writer.cpp writes them.
//
// The parser is our own on purpose, not libcsv or another library: every error
// must name the exact line and byte column at fault (the opening quote of an
// unterminated field, a stray quote, the bad byte of invalid UTF-8, the field
// that makes a row ragged), prompts must come back byte for byte (CR/LF inside
// quotes, surrounding spaces), and memory must stay bounded while streaming.
// The state machine below reads through a fixed buffer and tracks line and
// column as it goes; a field is capped at 1 MiB and a record at kMaxFields
// fields, so beyond the prompts kept (and their ids) memory is constant.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
using prompts::isSpace;
using prompts::kMaxFieldBytes;
using prompts::kMaxRecords;
namespace {

// Bounds the memory of a runaway first record; later records are held to the
// first record's field count.
constexpr size_t kMaxFields = 4096;
constexpr size_t kBufferBytes = size_t{64} << 10;
constexpr int kEof = -1;

struct Pos {
  int64_t line = 1;
  int64_t column = 1;  // in bytes
};

[[noreturn]] void fail(const std::string& source, Pos pos, const std::string& what) {
  throw Error(source + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " +
              what);
}

// Trimmed and ASCII-lowercased, for header names.
std::string headerName(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && isSpace(s[begin])) ++begin;
  while (end > begin && isSpace(s[end - 1])) --end;
  std::string out(s.substr(begin, end - begin));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string fieldCount(size_t n) {
  return std::to_string(n) + (n == 1 ? " field" : " fields");
}

// Bytes from a stream (through a fixed buffer) or from memory, with the
// line and column of the next byte.
class ByteReader {
 public:
  ByteReader(std::istream& in, const std::string& source)
      : in_(&in), source_(&source), buffer_(kBufferBytes) {
    refill();
    skipBom();
  }
  explicit ByteReader(std::string_view bytes)
      : cur_(bytes.data()), end_(bytes.data() + bytes.size()) {
    skipBom();
  }

  int peek() {
    if (cur_ == end_ && !refill()) return kEof;
    return static_cast<unsigned char>(*cur_);
  }
  // Precondition: peek() != kEof.
  void advance() {
    if (*cur_ == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else {
      ++pos_.column;
    }
    ++cur_;
  }
  Pos pos() const { return pos_; }

 private:
  bool refill() {
    if (in_ == nullptr || eof_) return false;
    in_->read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    if (in_->bad()) throw Error(*source_ + ": read error");
    const std::streamsize n = in_->gcount();
    cur_ = buffer_.data();
    end_ = cur_ + n;
    if (n == 0) eof_ = true;
    return n > 0;
  }
  // The first refill holds the whole buffer or the whole input, so a BOM is
  // always complete in it. Columns do not count the BOM.
  void skipBom() {
    if (end_ - cur_ >= 3 && std::memcmp(cur_, "\xEF\xBB\xBF", 3) == 0) cur_ += 3;
  }

  std::istream* in_ = nullptr;
  const std::string* source_ = nullptr;
  std::vector<char> buffer_;
  const char* cur_ = nullptr;
  const char* end_ = nullptr;
  bool eof_ = false;
  Pos pos_;
};

struct Field {
  std::string value;
  Pos start;  // of the first byte (the opening quote of a quoted field)
  bool quoted = false;
};

// Splits the input into records of fields. Fields beyond the store limit are
// parsed and counted but not kept.
class CsvParser {
 public:
  CsvParser(ByteReader& reader, const std::string& source) : r_(reader), source_(source) {}

  void setStoreLimit(size_t n) { storeLimit_ = n; }

  // Reads the next record; false at the end of the input.
  bool next() {
    // Skip blank lines (completely empty physical lines).
    for (;;) {
      const int c = r_.peek();
      if (c == kEof) return false;
      if (c != '\n' && c != '\r') break;
      endLine();
      if (r_.peek() == kEof) return false;
    }
    recordStart_ = r_.pos();
    count_ = 0;
    for (;;) {
      Field* out = nullptr;
      if (count_ < storeLimit_) {
        if (fields_.size() <= count_) fields_.emplace_back();
        out = &fields_[count_];
      } else if (count_ == storeLimit_) {
        firstUnstored_ = r_.pos();
      }
      ++count_;
      const bool endOfRecord = parseField(out);
      if (out != nullptr) checkUtf8(*out);
      if (endOfRecord) return true;
    }
  }

  size_t count() const { return count_; }
  const Field& field(size_t i) const { return fields_[i]; }
  Pos recordStart() const { return recordStart_; }
  Pos recordEnd() const { return recordEnd_; }
  Pos firstUnstored() const { return firstUnstored_; }

 private:
  [[noreturn]] void fail(Pos pos, const std::string& what) const { kvr::fail(source_, pos, what); }

  // Consumes a line end (LF, CRLF, or CR at the end of the input) at the
  // current position, or nothing at the end of the input.
  void endLine() {
    recordEnd_ = r_.pos();
    const int c = r_.peek();
    if (c == kEof) return;
    r_.advance();
    if (c == '\r') {
      const int n = r_.peek();
      if (n == '\n') {
        r_.advance();
      } else if (n != kEof) {
        fail(recordEnd_, "carriage return not followed by line feed (use LF or CRLF line ends)");
      }
    }
  }

  // Parses one field into `out` (may be null); returns true at the end of the record.
  bool parseField(Field* out) {
    const Pos start = r_.pos();
    size_t length = 0;
    const auto append = [&](int c) {
      if (++length > kMaxFieldBytes) fail(start, "field exceeds 1 MiB");
      if (out != nullptr) out->value.push_back(static_cast<char>(c));
    };
    if (out != nullptr) {
      out->value.clear();
      out->start = start;
      out->quoted = false;
    }
    // At a separator or a line end: consumes it and says whether the record ended.
    const auto finishField = [this](bool& recordEnded) {
      const int c = r_.peek();
      if (c == ',') {
        r_.advance();
        recordEnded = false;
        return true;
      }
      if (c == kEof || c == '\n' || c == '\r') {
        endLine();
        recordEnded = true;
        return true;
      }
      return false;
    };
    if (r_.peek() == '"') {
      if (out != nullptr) out->quoted = true;
      r_.advance();
      for (;;) {
        const int c = r_.peek();
        if (c == kEof) fail(start, "unterminated quoted field (no closing quote)");
        r_.advance();
        if (c == '"') {
          if (r_.peek() != '"') break;
          r_.advance();
        }
        append(c);
      }
      bool recordEnded = false;
      if (finishField(recordEnded)) return recordEnded;
      fail(r_.pos(), "unexpected character after closing quote (expected , or line end)");
    }
    for (;;) {
      bool recordEnded = false;
      if (finishField(recordEnded)) return recordEnded;
      const int c = r_.peek();
      if (c == '"') {
        fail(r_.pos(),
             "unexpected quote inside an unquoted field (quote the whole field and double the "
             "quote)");
      }
      append(c);
      r_.advance();
    }
  }

  // Maps the offset of a bad byte in the value back to the file: inside
  // quotes a quote was written twice, everything else byte for byte.
  void checkUtf8(const Field& f) const {
    const size_t bad = text::findInvalidUtf8(f.value);
    if (bad == std::string_view::npos) return;
    Pos p = f.start;
    if (f.quoted) ++p.column;
    for (size_t i = 0; i < bad; ++i) {
      const char c = f.value[i];
      if (c == '\n') {
        ++p.line;
        p.column = 1;
      } else {
        p.column += c == '"' ? 2 : 1;
      }
    }
    fail(p, "invalid UTF-8");
  }

  ByteReader& r_;
  const std::string& source_;
  std::vector<Field> fields_;
  size_t storeLimit_ = kMaxFields;
  size_t count_ = 0;
  Pos recordStart_;
  Pos recordEnd_;
  Pos firstUnstored_;
};

struct Layout {
  size_t fields = 1;
  size_t prompt = 0;
  std::optional<size_t> id;
  std::optional<size_t> reference;
};

PromptSet parse(ByteReader& reader, const std::string& source) {
  CsvParser csv(reader, source);
  PromptSet set;
  set.source = source;

  csv.setStoreLimit(kMaxFields);
  if (!csv.next()) fail(source, reader.pos(), "no prompts (the file is empty)");
  if (csv.count() > kMaxFields) {
    fail(source, csv.firstUnstored(),
         "too many fields (more than " + std::to_string(kMaxFields) + " in a record)");
  }

  Layout layout;
  layout.fields = csv.count();
  std::optional<size_t> promptCol;
  std::optional<size_t> textCol;
  for (size_t i = 0; i < csv.count(); ++i) {
    const std::string name = headerName(csv.field(i).value);
    if (name == "prompt" && !promptCol) promptCol = i;
    if (name == "text" && !textCol) textCol = i;
    if (name == "id" && !layout.id) layout.id = i;
    if (name == "reference" && !layout.reference) layout.reference = i;
  }
  const bool header = promptCol || textCol;
  if (header) {
    layout.prompt = promptCol ? *promptCol : *textCol;
  } else if (csv.count() != 1) {
    fail(source, csv.recordStart(),
         "missing prompt column (expected a header named prompt or text)");
  } else {
    layout.id.reset();
    layout.reference.reset();
  }
  csv.setStoreLimit(layout.fields);

  std::unordered_map<std::string, int64_t> idLines;
  const auto addRecord = [&] {
    if (csv.count() != layout.fields) {
      const Pos at = csv.count() > layout.fields ? csv.firstUnstored() : csv.recordEnd();
      fail(source, at,
           "expected " + fieldCount(layout.fields) + ", found " + std::to_string(csv.count()));
    }
    if (set.prompts.size() >= kMaxRecords) {
      fail(source, csv.recordStart(),
           "too many records (more than " + std::to_string(kMaxRecords) + " records)");
    }
    const Field& text = csv.field(layout.prompt);
    if (isBlank(text.value)) fail(source, text.start, "empty prompt");
    Prompt prompt;
    prompt.line = static_cast<int>(
        std::min<int64_t>(csv.recordStart().line, std::numeric_limits<int>::max()));
    if (layout.id) {
      const Field& id = csv.field(*layout.id);
      if (isBlank(id.value)) fail(source, id.start, "empty id");
      const auto [it, inserted] = idLines.emplace(id.value, csv.recordStart().line);
      if (!inserted) {
        fail(source, id.start,
             "duplicate id '" + excerpt(id.value) + "' (first used on line " +
                 std::to_string(it->second) + ")");
      }
      prompt.id = id.value;
    } else {
      prompt.id = std::to_string(set.prompts.size() + 1);
    }
    prompt.text = text.value;
    if (layout.reference) set.references.push_back(csv.field(*layout.reference).value);
    set.prompts.push_back(std::move(prompt));
  };

  if (!header) addRecord();
  while (csv.next()) addRecord();
  if (set.prompts.empty()) fail(source, reader.pos(), "no prompts (only a header)");
  return set;
}

}  // namespace

PromptSet readPromptCsv(const fs::path& path) {
  const std::string source = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(source + ": is a directory, not a CSV file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(source + ": cannot open file" +
                (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()));
  }
  return parsePromptCsv(in, source);
}

PromptSet parsePromptCsv(std::istream& in, const std::string& source) {
  ByteReader reader(in, source);
  return parse(reader, source);
}

PromptSet parsePromptCsv(std::string_view bytes, const std::string& source) {
  ByteReader reader(bytes);
  return parse(reader, source);
}

}  // namespace kvr
