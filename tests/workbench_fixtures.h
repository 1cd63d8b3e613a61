#pragma once
// Results and run records for the workbench tests that need no model.
#include <cstdint>
#include <string>

#include "kvrecycle/results.h"

namespace kvr::test {

inline kvr::PromptResult result(int index, bool exact = true) {
  kvr::PromptResult r;
  r.index = index;
  r.promptId = "p" + std::to_string(index);
  r.promptText = "prompt " + std::to_string(index);
  r.promptTokens = 20 + index;
  r.reusedTokens = 10 + index;
  r.exactMatch = exact;
  r.firstDivergence = exact ? -1 : 3;
  r.speedupPct = 12.5 * index;
  r.noisy = index == 2;
  r.noiseReason = r.noisy ? "decode times differed" : "";
  return r;
}

inline kvr::RunRecord record(int64_t id, const std::string& name) {
  kvr::RunRecord run;
  run.id = id;
  run.name = name;
  run.tags = {"a", "b"};
  run.createdAt = "2026-11-23T04:05:06Z";
  run.modelPath = "/models/synthetic-tiny";
  run.synthetic = true;
  run.configJson = R"({"policy":"paper","repeats":3})";
  run.summaryJson = R"({"prompts":2,"exact_match_rate":1.0,"avg_speedup_pct":7.5})";
  run.status = kvr::RunStatus::Completed;
  return run;
}

}  // namespace kvr::test
