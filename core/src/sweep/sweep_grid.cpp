// The grid of a sweep: cells, their identity (key and tags) and which run of a
// database belongs to which cell.
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "kvrecycle/run_store.h"
#include "kvrecycle/sweep.h"

namespace kvr {
namespace {

constexpr const char* kSweepTag = "sweep:";
constexpr const char* kCellTag = "sweep-cell:";
constexpr const char* kKeyTag = "sweep-key:";
constexpr const char* kGridTag = "sweep-cells:";
constexpr const char* kSpecTag = "sweep-spec:";

// Order-free: a cell keeps its key when axes are reordered or values appended.
std::string cellKey(const std::string& sweepId, std::vector<SweepSetting> settings) {
  std::sort(settings.begin(), settings.end(),
            [](const SweepSetting& a, const SweepSetting& b) { return a.option < b.option; });
  std::string text = sweepId + "\n";
  for (const SweepSetting& s : settings) {
    text += s.option + (s.flag ? "?" : "=") + s.value + "\n";
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH64(text.data(), text.size(), 0)));
  return hex;
}

std::string tagValue(const RunRecord& run, const std::string& prefix) {
  for (const std::string& tag : run.tags) {
    if (tag.rfind(prefix, 0) == 0) return tag.substr(prefix.size());
  }
  return "";
}

// A non-negative integer tag value; -1 when missing or not a number.
int tagNumber(const RunRecord& run, const std::string& prefix) {
  const std::string text = tagValue(run, prefix);
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  return std::stoi(text);
}

}  // namespace

std::string SweepCell::label() const {
  std::string out;
  for (const SweepSetting& s : axisValues) {
    out += (out.empty() ? "" : " ") + s.option + "=" + s.value;
  }
  return out;
}

std::vector<std::string> SweepCell::arguments() const {
  std::vector<std::string> args;
  for (const SweepSetting& s : settings) {
    if (s.flag) {
      if (s.value == "true") args.push_back("--" + s.option);
      continue;
    }
    args.push_back("--" + s.option);
    args.push_back(s.value);
  }
  return args;
}

std::vector<SweepCell> expandSweep(const SweepSpec& spec) {
  size_t count = 1;
  for (const SweepAxis& axis : spec.axes) count *= axis.values.size();
  std::vector<SweepCell> cells;
  cells.reserve(count);
  for (size_t n = 0; n < count; ++n) {
    SweepCell cell;
    cell.index = static_cast<int>(n);
    cell.settings = spec.fixed;
    // Mixed radix, last axis fastest.
    size_t rest = n;
    std::vector<SweepSetting> values(spec.axes.size());
    for (size_t a = spec.axes.size(); a-- > 0;) {
      const auto& axisValues = spec.axes[a].values;
      values[a] = axisValues[rest % axisValues.size()];
      rest /= axisValues.size();
    }
    cell.axisValues = values;
    cell.settings.insert(cell.settings.end(), values.begin(), values.end());
    cell.key = cellKey(spec.id, cell.settings);
    cells.push_back(std::move(cell));
  }
  return cells;
}

std::vector<std::string> sweepCellTags(const SweepSpec& spec, const SweepCell& cell) {
  size_t gridCells = 1;
  for (const SweepAxis& axis : spec.axes) gridCells *= axis.values.size();
  std::vector<std::string> tags = {kSweepTag + spec.id, kCellTag + std::to_string(cell.index),
                                   kKeyTag + cell.key, kGridTag + std::to_string(gridCells)};
  if (!spec.source.empty()) {
    tags.push_back(kSpecTag + std::filesystem::absolute(spec.source).lexically_normal().string());
  }
  for (const SweepSetting& s : cell.axisValues) tags.push_back(s.option + "=" + s.value);
  return tags;
}

std::string sweepIdOf(const RunRecord& run) {
  return tagValue(run, kSweepTag);
}

std::string sweepKeyOf(const RunRecord& run) {
  return tagValue(run, kKeyTag);
}

std::string sweepSpecOf(const RunRecord& run) {
  return tagValue(run, kSpecTag);
}

int sweepCellIndexOf(const RunRecord& run) {
  return tagNumber(run, kCellTag);
}

int sweepGridCellsOf(const RunRecord& run) {
  return tagNumber(run, kGridTag);
}

std::vector<SweepSetting> sweepAxisValuesOf(const RunRecord& run) {
  std::vector<SweepSetting> values;
  for (const std::string& tag : run.tags) {
    const size_t eq = tag.find('=');
    if (eq == std::string::npos || eq == 0 || tag.rfind("sweep", 0) == 0) continue;
    values.push_back({tag.substr(0, eq), tag.substr(eq + 1)});
  }
  return values;
}

std::vector<SweepCellRun> sweepCellRuns(const SweepSpec& spec, const std::vector<SweepCell>& cells,
                                        const RunStore& store) {
  std::map<std::string, size_t> byKey;
  std::vector<SweepCellRun> out(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    out[i].cell = cells[i].index;
    byKey[cells[i].key] = i;
  }
  // listRuns is newest first: the first run seen of a cell is its newest.
  for (const RunRecord& run : store.listRuns()) {
    if (sweepIdOf(run) != spec.id) continue;
    const auto it = byKey.find(sweepKeyOf(run));
    if (it == byKey.end()) continue;
    SweepCellRun& slot = out[it->second];
    if (!slot.run || (!slot.done() && run.status == RunStatus::Completed)) slot.run = run;
  }
  return out;
}

}  // namespace kvr
