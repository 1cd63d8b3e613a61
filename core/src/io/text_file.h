#pragma once
// Whole small text files (specs, job records): read at once.
#include <filesystem>
#include <string>

namespace kvr::io {

// Throws kvr::Error "PATH: cannot open file".
std::string readWholeFile(const std::filesystem::path& path);

}  // namespace kvr::io
