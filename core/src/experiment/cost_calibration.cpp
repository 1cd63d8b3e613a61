#include "experiment/cost_calibration.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "experiment/prompt_measurement.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/stats.h"
#include "kvrecycle/timestamps.h"

namespace kvr {
namespace {

// Lengths spread over the context, so both the linear and the attention
// (quadratic) part of the prefill show; the longest is also the entry loaded.
std::vector<int> calibrationLengths(int contextLength) {
  std::set<int> lengths;
  for (const int n : {1, 16, 64, 160, 320, 640}) lengths.insert(std::min(n, contextLength - 1));
  lengths.erase(0);
  return {lengths.begin(), lengths.end()};
}

// Token ids that no tokenizer quirk depends on: a fixed walk over the vocabulary.
std::vector<int> calibrationTokens(const Model& model, int length) {
  std::vector<int> tokens(static_cast<size_t>(length));
  const int vocab = std::max(2, model.config().vocabSize - 1);  // never the last (end-of-text)
  for (int i = 0; i < length; ++i) tokens[static_cast<size_t>(i)] = (i * 7919 + 13) % vocab;
  return tokens;
}

template <typename F>
double medianOf(const CalibrationRequest& request, F timed) {
  for (int i = 0; i < request.warmup; ++i) timed();
  std::vector<double> seconds;
  for (int i = 0; i < request.repeats; ++i) seconds.push_back(timed());
  return summarize(std::move(seconds)).median;
}

void measurePrefill(CostModel& costModel, const Model& model, const CalibrationRequest& request,
                    const std::vector<int>& lengths) {
  const auto cache = model.newCache();
  for (const int n : lengths) {
    const std::vector<int> tokens = calibrationTokens(model, n);
    costModel.addPrefill(n, medianOf(request, [&] {
                           cache->reset();
                           const Stopwatch clock;
                           model.forward(*cache, tokens);
                           model.synchronize();
                           return clock.seconds();
                         }));
  }
}

// Returns false when the page cache could not be dropped (cold loads were warm).
bool measureLoads(CostModel& costModel, const Model& model, const std::filesystem::path& directory,
                  const CalibrationRequest& request, const std::vector<int>& lengths) {
  const KVStore scratch(directory);
  const auto cache = model.newCache();
  model.forward(*cache, calibrationTokens(model, lengths.back()));
  const KVEntryInfo entry = scratch.save(model, *cache, "cost model calibration", request.dtype);
  const ModelConfig& c = model.config();
  const int64_t perPosition = storedBytesPerPosition(c.nLayer, c.nHead, c.nEmbd, request.dtype);
  bool dropped = true;
  for (const int n : lengths) {
    const double seconds = medianOf(request, [&] {
      cache->reset();
      std::string state;
      const double s =
          timedStoreLoad(scratch, model, entry.entryId, n, *cache, request.pageCache, state);
      dropped = dropped && state != "cold-failed";
      return s;
    });
    costModel.addLoad(request.dtype, request.pageCache, perPosition * n, seconds);
  }
  return dropped;
}

}  // namespace

std::string costModelKey(const Model& model) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return model.fingerprint() + "|" + host + "|" + std::to_string(model.threads()) + " threads|" +
         model.deviceName();
}

bool calibrateCostModel(CostModel& costModel, const Model& model,
                        const std::filesystem::path& storeDirectory,
                        const CalibrationRequest& request,
                        const std::function<void(const std::string&)>& log) {
  const bool needPrefill = !costModel.hasPrefill();
  const bool needLoad = !costModel.hasLoad(request.dtype, request.pageCache);
  if (!needPrefill && !needLoad) return false;
  const std::vector<int> lengths = calibrationLengths(model.config().nPositions);
  const std::string series = CostModel::loadSeriesName(request.dtype, request.pageCache);
  if (log) {
    log(std::string("cost model: calibrating") + (needPrefill ? " prefill" : "") +
        (needLoad ? " " + series + " loads" : "") + " (" + std::to_string(lengths.size()) +
        " lengths, " + std::to_string(request.warmup) + " warm-up, median of " +
        std::to_string(request.repeats) + ")");
  }
  if (needPrefill) measurePrefill(costModel, model, request, lengths);
  if (needLoad) {
    const std::filesystem::path scratch = storeDirectory / "cost_calibration";
    bool dropped = true;
    try {
      dropped = measureLoads(costModel, model, scratch, request, lengths);
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove_all(scratch, ec);
      throw;
    }
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    if (!dropped && log) {
      log("cost model: the page cache could not be dropped, so the " + series +
          " loads were measured warm");
    }
  }
  return true;
}

std::optional<CostModel> costModelForRun(const Model& model,
                                         const std::filesystem::path& storeDirectory,
                                         const CalibrationRequest& request, bool calibrate,
                                         const std::function<void(const std::string&)>& log) {
  const std::filesystem::path file = costModelFile(storeDirectory);
  const std::string key = costModelKey(model);
  std::optional<CostModel> stored = loadCostModel(file, key);
  if (!calibrate) {
    if (stored && !stored->hasPrefill()) stored.reset();
    return stored;
  }
  CostModel costModel = stored ? *stored : CostModel{};
  costModel.key = key;
  if (calibrateCostModel(costModel, model, storeDirectory, request, log)) {
    saveCostModel(file, costModel);
  }
  return costModel;
}

}  // namespace kvr
