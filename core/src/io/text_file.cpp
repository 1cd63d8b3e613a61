#include "kvrecycle/text_file.h"

#include <fstream>
#include <sstream>

#include "kvrecycle/error.h"

namespace kvr {

std::string readTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kvr
