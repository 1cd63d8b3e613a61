#include "experiment/store_samples_json.h"

#include <nlohmann/json.hpp>

namespace kvr {

std::string storeSamplesToJson(const std::vector<StoreSample>& samples) {
  nlohmann::json j = nlohmann::json::array();
  for (const StoreSample& s : samples) {
    j.push_back({s.seconds, s.residentBytes, s.unboundedBytes, s.event});
  }
  return j.dump();
}

std::vector<StoreSample> storeSamplesFromJson(const std::string& json) {
  std::vector<StoreSample> samples;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) return samples;
  for (const auto& row : j) {
    if (!row.is_array() || row.size() != 4 || !row[0].is_number() || !row[1].is_number_integer() ||
        !row[2].is_number_integer() || !row[3].is_string()) {
      return {};
    }
    samples.push_back({row[0].get<double>(), row[1].get<int64_t>(), row[2].get<int64_t>(),
                       row[3].get<std::string>()});
  }
  return samples;
}

}  // namespace kvr
