#pragma once
// Writes a whole file so that readers see the old or the new content, never a
// torn one (temporary file, fsync, rename). Throws kvr::Error naming the path.
#include <filesystem>
#include <string_view>

namespace kvr {

void writeFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace kvr
