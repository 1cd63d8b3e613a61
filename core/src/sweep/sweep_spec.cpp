// The sweep spec file: JSON with an id, fixed `run` settings, axes and Slurm
// resources. Every error names the file and the field.
#include <nlohmann/json.hpp>

#include <set>

#include "kvrecycle/error.h"
#include "kvrecycle/sweep.h"
#include "kvrecycle/text_file.h"

namespace kvr {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Reader {
  std::string file;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(file + ": " + field + ": " + what);
  }
};

bool validId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
  for (const char c : id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string optionName(const Reader& r, const std::string& field, std::string name) {
  if (name.rfind("--", 0) == 0) name = name.substr(2);
  if (name.empty()) r.fail(field, "empty option name");
  for (const char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      r.fail(field, "'" + name + "' is not a run option name (lower-case letters, digits, '-')");
    }
  }
  if (name == "db") {
    r.fail(field, "the database is given on the command line (--db), not in the spec");
  }
  if (name == "quiet" || name == "help") r.fail(field, "'" + name + "' cannot be set by a sweep");
  return name;
}

SweepSetting setting(const Reader& r, const std::string& field, const std::string& option,
                     const Json& value) {
  SweepSetting s;
  s.option = option;
  if (value.is_boolean()) {
    s.flag = true;
    s.value = value.get<bool>() ? "true" : "false";
  } else if (value.is_string()) {
    s.value = value.get<std::string>();
  } else if (value.is_number()) {
    s.value = value.dump();
  } else {
    r.fail(field, "expected a string, a number or true/false, got " + value.dump());
  }
  return s;
}

std::string stringField(const Reader& r, const Json& object, const std::string& parent,
                        const char* name) {
  if (!object.contains(name)) return "";
  const Json& v = object.at(name);
  if (!v.is_string()) r.fail(parent + name, "expected a string");
  return v.get<std::string>();
}

std::vector<std::string> stringList(const Reader& r, const Json& object, const std::string& parent,
                                    const char* name) {
  std::vector<std::string> out;
  if (!object.contains(name)) return out;
  const Json& v = object.at(name);
  if (!v.is_array()) r.fail(parent + name, "expected an array of strings");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      r.fail(parent + name + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

SlurmSettings slurmSettings(const Reader& r, const Json& j) {
  if (!j.is_object()) r.fail("slurm", "expected an object");
  static const std::set<std::string> known = {"partition", "time",    "cpus_per_task",
                                              "gres",      "account", "mem",
                                              "cli",       "setup",   "sbatch_args"};
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) r.fail("slurm." + key, "unknown setting");
  }
  SlurmSettings s;
  s.partition = stringField(r, j, "slurm.", "partition");
  s.time = stringField(r, j, "slurm.", "time");
  s.gres = stringField(r, j, "slurm.", "gres");
  s.account = stringField(r, j, "slurm.", "account");
  s.memory = stringField(r, j, "slurm.", "mem");
  s.cli = stringField(r, j, "slurm.", "cli");
  s.setup = stringList(r, j, "slurm.", "setup");
  s.sbatchArgs = stringList(r, j, "slurm.", "sbatch_args");
  if (j.contains("cpus_per_task")) {
    const Json& v = j.at("cpus_per_task");
    if (!v.is_number_integer() || v.get<int>() < 1) {
      r.fail("slurm.cpus_per_task", "expected a positive integer");
    }
    s.cpusPerTask = v.get<int>();
  }
  return s;
}

}  // namespace

SweepSpec parseSweepSpec(const std::string& text, const fs::path& source) {
  const Reader r{source.string()};
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw Error(source.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(source.string() + ": a sweep spec is a JSON object");
  static const std::set<std::string> known = {"id",   "base_dir", "fixed",
                                              "axes", "slurm",    "comment"};
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) r.fail(key, "unknown field (expected id, base_dir, fixed, axes, slurm)");
  }
  SweepSpec spec;
  spec.source = source;
  spec.id = stringField(r, j, "", "id");
  if (!validId(spec.id)) {
    r.fail("id",
           "expected 1-64 letters, digits, '.', '_' or '-' (not first), got '" + spec.id + "'");
  }
  const fs::path specDir = fs::absolute(source).parent_path();
  const std::string base = stringField(r, j, "", "base_dir");
  spec.baseDirectory = base.empty() ? specDir : (specDir / base).lexically_normal();

  std::set<std::string> seen;
  if (j.contains("fixed")) {
    const Json& fixed = j.at("fixed");
    if (!fixed.is_object()) r.fail("fixed", "expected an object of run options");
    for (const auto& [key, value] : fixed.items()) {
      const std::string field = "fixed." + key;
      const std::string option = optionName(r, field, key);
      if (!seen.insert(option).second) r.fail(field, "option given twice");
      spec.fixed.push_back(setting(r, field, option, value));
    }
  }
  if (j.contains("axes")) {
    const Json& axes = j.at("axes");
    if (!axes.is_object()) r.fail("axes", "expected an object: option -> list of values");
    for (const auto& [key, values] : axes.items()) {
      const std::string field = "axes." + key;
      const std::string option = optionName(r, field, key);
      if (!seen.insert(option).second) r.fail(field, "option is already fixed or an axis");
      if (!values.is_array() || values.empty())
        r.fail(field, "expected a non-empty list of values");
      SweepAxis axis;
      axis.option = option;
      std::set<std::string> distinct;
      for (size_t i = 0; i < values.size(); ++i) {
        const std::string at = field + "[" + std::to_string(i) + "]";
        axis.values.push_back(setting(r, at, option, values[i]));
        if (!distinct.insert(axis.values.back().value).second) r.fail(at, "repeated value");
      }
      spec.axes.push_back(std::move(axis));
    }
  }
  if (j.contains("slurm")) spec.slurm = slurmSettings(r, j.at("slurm"));
  return spec;
}

SweepSpec readSweepSpec(const fs::path& file) {
  return parseSweepSpec(readTextFile(file), file);
}

std::string sweepSpecToJson(const SweepSpec& spec) {
  const auto value = [](const SweepSetting& s) -> Json {
    if (s.flag) return s.value == "true";
    return s.value;
  };
  Json j;
  j["id"] = spec.id;
  j["base_dir"] = fs::absolute(spec.baseDirectory).string();
  j["fixed"] = Json::object();
  for (const SweepSetting& s : spec.fixed) j["fixed"][s.option] = value(s);
  j["axes"] = Json::object();
  for (const SweepAxis& axis : spec.axes) {
    Json values = Json::array();
    for (const SweepSetting& s : axis.values) values.push_back(value(s));
    j["axes"][axis.option] = values;
  }
  const SlurmSettings& s = spec.slurm;
  Json slurm = Json::object();
  const auto put = [&slurm](const char* name, const std::string& v) {
    if (!v.empty()) slurm[name] = v;
  };
  put("partition", s.partition);
  put("time", s.time);
  put("gres", s.gres);
  put("account", s.account);
  put("mem", s.memory);
  put("cli", s.cli);
  if (s.cpusPerTask > 0) slurm["cpus_per_task"] = s.cpusPerTask;
  if (!s.setup.empty()) slurm["setup"] = s.setup;
  if (!s.sbatchArgs.empty()) slurm["sbatch_args"] = s.sbatchArgs;
  j["slurm"] = slurm;
  return j.dump(2);
}

}  // namespace kvr
