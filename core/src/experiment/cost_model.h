#pragma once
// The cost model ("never slower", issue 11 item 5): per model and machine,
// prefill seconds as a function of tokens and K/V load seconds as a function
// of bytes (per stored dtype and page-cache state), fitted by least squares to
// measured samples. Before a prompt recycles, it predicts both TTFTs:
//   baseline = prefill(0 cached, m new)
//   recycled = load(bytes of k positions) + prefill(k cached, m - k new)
// where prefill(k cached, n new) = a + b n + c ((k + n)^2 - k^2): the linear
// part is the per-token work, the quadratic one attention over all k + n
// positions. It recycles only when recycled < baseline x (1 - margin).
// No torch and no files of entries here: experiment/cost_calibration.h measures.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kvrecycle/experiment.h"
#include "kvrecycle/kv_dtype.h"

namespace kvr {

struct CostSample {
  double x = 0;  // tokens (prefill) or bytes (load)
  double seconds = 0;
};

// seconds = fixed + perByte x bytes.
struct LoadFit {
  double fixedSeconds = 0;
  double secondsPerByte = 0;
  double seconds(double bytes) const { return fixedSeconds + secondsPerByte * bytes; }
};

class CostModel {
 public:
  // Which machine the fit belongs to: model fingerprint, host, threads, device.
  std::string key;
  std::string updatedAt;  // ISO 8601 UTC of the last samples added
  std::vector<CostSample> prefill;
  std::map<std::string, std::vector<CostSample>> loads;  // by loadSeriesName()

  static std::string loadSeriesName(KVDtype dtype, PageCacheMode mode);  // "fp16/cold"
  bool hasPrefill() const;                                               // enough samples for a fit
  bool hasLoad(KVDtype dtype, PageCacheMode mode) const;                 // enough samples for a fit
  // Keeps the newest samples of each series (the machine drifts).
  void addPrefill(int tokens, double seconds);
  void addLoad(KVDtype dtype, PageCacheMode mode, int64_t bytes, double seconds);

  // Coefficients {a, b, c} of prefill seconds = a + b n + c n^2 (all >= 0).
  std::vector<double> prefillFit() const;
  // Seconds to prefill `fresh` tokens after `cached` ones were loaded.
  double prefillSeconds(int cached, int fresh) const;
  LoadFit loadFit(KVDtype dtype, PageCacheMode mode) const;  // throws when missing

  static constexpr size_t kMaxSamples = 400;  // per series
};

// Bytes a stored entry holds per position in `dtype` (K and V of every layer,
// int8 with its per-token scales): what a load of k positions reads.
int64_t storedBytesPerPosition(int layers, int heads, int hidden, KVDtype dtype);

struct CostPrediction {
  double baselineTtftSeconds = 0;
  double recycledTtftSeconds = 0;
  bool recycle = false;
};
CostPrediction predictReuse(const CostModel& model, int promptTokens, int reuse, int64_t loadBytes,
                            KVDtype dtype, PageCacheMode mode, double margin);

// Seconds a reuse of `depth` tokens saves whatever the prompt's length:
// prefill(0, m) - prefill(depth, m - depth) = b d + c d^2, minus the load of
// `loadBytes` (no load term when the model has no such loads yet).
double reuseSavingSeconds(const CostModel& model, int depth, int64_t loadBytes, KVDtype dtype,
                          PageCacheMode mode);

// Least squares with non-negative coefficients for a + b x + c x^2 (degree 2)
// or a + b x (degree 1): a coefficient that comes out negative is dropped and
// the rest refitted, so the curve stays increasing. Exposed for tests.
std::vector<double> fitPolynomial(const std::vector<CostSample>& samples, int degree);

// cost_model.json in the K/V store: every machine's model, keyed by CostModel::key.
std::filesystem::path costModelFile(const std::filesystem::path& storeDirectory);
// nullopt when the file or the key is missing; a corrupt file is a kvr::Error naming it.
std::optional<CostModel> loadCostModel(const std::filesystem::path& file, const std::string& key);
// Replaces the key's model, keeping the others (atomically).
void saveCostModel(const std::filesystem::path& file, const CostModel& model);

}  // namespace kvr
