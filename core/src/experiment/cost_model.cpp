#include "experiment/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "kvrecycle/atomic_write.h"
#include "kvrecycle/error.h"
#include "kvrecycle/text_file.h"
#include "kvrecycle/timestamps.h"

namespace kvr {
namespace {

constexpr size_t kMinPrefillSamples = 3;
constexpr size_t kMinLoadSamples = 2;

// Solves the small system a x = b in place (Gaussian elimination with partial
// pivoting); false when it is singular.
bool solve(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& x) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r) {
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    }
    if (std::fabs(a[pivot][col]) < 1e-12) return false;
    std::swap(a[pivot], a[col]);
    std::swap(b[pivot], b[col]);
    for (size_t r = col + 1; r < n; ++r) {
      const double f = a[r][col] / a[col][col];
      for (size_t c = col; c < n; ++c) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  x.assign(n, 0.0);
  for (size_t i = n; i-- > 0;) {
    double sum = b[i];
    for (size_t c = i + 1; c < n; ++c) sum -= a[i][c] * x[c];
    x[i] = sum / a[i][i];
  }
  return true;
}

// Least squares over the powers in `use` of scaled x; coefficients in scaled units.
bool fitSubset(const std::vector<CostSample>& s, double scale, const std::vector<int>& powers,
               std::vector<double>& coef, double& residual) {
  const size_t k = powers.size();
  std::vector<std::vector<double>> ata(k, std::vector<double>(k, 0.0));
  std::vector<double> atb(k, 0.0);
  for (const CostSample& p : s) {
    const double x = p.x / scale;
    std::vector<double> row(k);
    for (size_t i = 0; i < k; ++i) row[i] = std::pow(x, powers[i]);
    for (size_t i = 0; i < k; ++i) {
      atb[i] += row[i] * p.seconds;
      for (size_t j = 0; j < k; ++j) ata[i][j] += row[i] * row[j];
    }
  }
  if (!solve(ata, atb, coef)) return false;
  residual = 0;
  for (const CostSample& p : s) {
    double y = 0;
    for (size_t i = 0; i < k; ++i) y += coef[i] * std::pow(p.x / scale, powers[i]);
    residual += (y - p.seconds) * (y - p.seconds);
  }
  return true;
}

void keepNewest(std::vector<CostSample>& series) {
  if (series.size() > CostModel::kMaxSamples) {
    series.erase(series.begin(), series.begin() + static_cast<std::ptrdiff_t>(
                                                      series.size() - CostModel::kMaxSamples));
  }
}

nlohmann::json samplesJson(const std::vector<CostSample>& samples) {
  nlohmann::json a = nlohmann::json::array();
  for (const CostSample& s : samples) a.push_back({s.x, s.seconds});
  return a;
}

std::vector<CostSample> samplesFrom(const nlohmann::json& a) {
  std::vector<CostSample> out;
  for (const auto& p : a) out.push_back({p.at(0).get<double>(), p.at(1).get<double>()});
  return out;
}

nlohmann::json readAll(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return nlohmann::json::object();
  try {
    nlohmann::json j = nlohmann::json::parse(readTextFile(file));
    if (!j.is_object() || !j.at("models").is_object()) throw Error("no \"models\" object");
    return j;
  } catch (const std::exception& e) {
    throw Error(file.string() + ": not a cost model file: " + e.what());
  }
}

}  // namespace

std::vector<double> fitPolynomial(const std::vector<CostSample>& samples, int degree) {
  std::vector<double> best(static_cast<size_t>(degree) + 1, 0.0);
  if (samples.empty()) return best;
  double scale = 0;
  for (const CostSample& s : samples) scale = std::max(scale, std::fabs(s.x));
  if (scale <= 0) scale = 1;
  double bestResidual = std::numeric_limits<double>::infinity();
  // Every subset of the powers; the best fit whose coefficients are all >= 0
  // is the non-negative least-squares solution (few enough powers to try all).
  const int subsets = 1 << (degree + 1);
  for (int mask = 1; mask < subsets; ++mask) {
    std::vector<int> powers;
    for (int p = 0; p <= degree; ++p) {
      if ((mask & (1 << p)) != 0) powers.push_back(p);
    }
    if (powers.size() > samples.size()) continue;
    std::vector<double> coef;
    double residual = 0;
    if (!fitSubset(samples, scale, powers, coef, residual)) continue;
    if (std::any_of(coef.begin(), coef.end(), [](double c) { return c < 0; })) continue;
    if (residual < bestResidual - 1e-18) {
      bestResidual = residual;
      std::fill(best.begin(), best.end(), 0.0);
      for (size_t i = 0; i < powers.size(); ++i) {
        best[static_cast<size_t>(powers[i])] = coef[i] / std::pow(scale, powers[i]);
      }
    }
  }
  return best;
}

std::string CostModel::loadSeriesName(KVDtype dtype, PageCacheMode mode) {
  return std::string(kvDtypeName(dtype)) + "/" + pageCacheModeName(mode);
}

bool CostModel::hasPrefill() const {
  return prefill.size() >= kMinPrefillSamples;
}

bool CostModel::hasLoad(KVDtype dtype, PageCacheMode mode) const {
  const auto it = loads.find(loadSeriesName(dtype, mode));
  return it != loads.end() && it->second.size() >= kMinLoadSamples;
}

void CostModel::addPrefill(int tokens, double seconds) {
  if (tokens <= 0 || !(seconds > 0)) return;
  prefill.push_back({static_cast<double>(tokens), seconds});
  keepNewest(prefill);
  updatedAt = utcNowIso8601();
}

void CostModel::addLoad(KVDtype dtype, PageCacheMode mode, int64_t bytes, double seconds) {
  if (bytes <= 0 || !(seconds > 0)) return;
  auto& series = loads[loadSeriesName(dtype, mode)];
  series.push_back({static_cast<double>(bytes), seconds});
  keepNewest(series);
  updatedAt = utcNowIso8601();
}

std::vector<double> CostModel::prefillFit() const {
  if (!hasPrefill()) throw Error("the cost model has no prefill samples for " + key);
  return fitPolynomial(prefill, 2);
}

double CostModel::prefillSeconds(int cached, int fresh) const {
  const std::vector<double> f = prefillFit();
  const double k = cached;
  const double n = fresh;
  return f[0] + f[1] * n + f[2] * ((k + n) * (k + n) - k * k);
}

LoadFit CostModel::loadFit(KVDtype dtype, PageCacheMode mode) const {
  if (!hasLoad(dtype, mode)) {
    throw Error("the cost model has no " + loadSeriesName(dtype, mode) + " load samples for " +
                key);
  }
  const std::vector<double> f = fitPolynomial(loads.at(loadSeriesName(dtype, mode)), 1);
  return {f[0], f[1]};
}

int64_t storedBytesPerPosition(int layers, int heads, int hidden, KVDtype dtype) {
  int64_t perVector = 0;  // one position's K (or V) of one layer
  switch (dtype) {
    case KVDtype::F32:
      perVector = int64_t{4} * hidden;
      break;
    case KVDtype::F16:
    case KVDtype::BF16:
      perVector = int64_t{2} * hidden;
      break;
    case KVDtype::Int8:
      perVector = hidden + int64_t{4} * heads;  // one fp32 scale per head
      break;
  }
  return int64_t{2} * layers * perVector;
}

CostPrediction predictReuse(const CostModel& model, int promptTokens, int reuse, int64_t loadBytes,
                            KVDtype dtype, PageCacheMode mode, double margin) {
  CostPrediction p;
  p.baselineTtftSeconds = model.prefillSeconds(0, promptTokens);
  p.recycledTtftSeconds = model.loadFit(dtype, mode).seconds(static_cast<double>(loadBytes)) +
                          model.prefillSeconds(reuse, promptTokens - reuse);
  p.recycle = reuse > 0 && p.recycledTtftSeconds < p.baselineTtftSeconds * (1.0 - margin);
  return p;
}

double reuseSavingSeconds(const CostModel& model, int depth, int64_t loadBytes, KVDtype dtype,
                          PageCacheMode mode) {
  const std::vector<double> f = model.prefillFit();
  const double d = depth;
  const double load = model.hasLoad(dtype, mode)
                          ? model.loadFit(dtype, mode).seconds(static_cast<double>(loadBytes))
                          : 0.0;
  return f[1] * d + f[2] * d * d - load;
}

std::filesystem::path costModelFile(const std::filesystem::path& storeDirectory) {
  return storeDirectory / "cost_model.json";
}

std::optional<CostModel> loadCostModel(const std::filesystem::path& file, const std::string& key) {
  const nlohmann::json all = readAll(file);
  if (!all.contains("models") || !all["models"].contains(key)) return std::nullopt;
  try {
    const nlohmann::json& j = all["models"][key];
    CostModel m;
    m.key = key;
    m.updatedAt = j.value("updated_at", "");
    m.prefill = samplesFrom(j.at("prefill"));
    for (const auto& [name, series] : j.at("loads").items()) m.loads[name] = samplesFrom(series);
    return m;
  } catch (const std::exception& e) {
    throw Error(file.string() + ": cost model '" + key + "' is malformed: " + e.what());
  }
}

void saveCostModel(const std::filesystem::path& file, const CostModel& model) {
  nlohmann::json all = readAll(file);
  if (!all.contains("models")) all["models"] = nlohmann::json::object();
  nlohmann::json loads = nlohmann::json::object();
  for (const auto& [name, series] : model.loads) loads[name] = samplesJson(series);
  // Samples are [tokens, seconds] (prefill) and [bytes, seconds] (loads).
  all["models"][model.key] = {
      {"updated_at", model.updatedAt}, {"prefill", samplesJson(model.prefill)}, {"loads", loads}};
  writeFileAtomically(file, all.dump(1));
}

}  // namespace kvr
