#pragma once
// Whole small text files (specs, job records, JSON inputs): read at once.
#include <filesystem>
#include <string>

namespace kvr {

// Throws kvr::Error "PATH: cannot open file".
std::string readTextFile(const std::filesystem::path& path);

}  // namespace kvr
