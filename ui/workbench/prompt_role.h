#pragma once
// Which of the two prompt sets a file is loaded as.
namespace kvr::ui {

enum class PromptRole {
  Cache,  // their K/V are stored
  Test    // measured
};

}  // namespace kvr::ui
