#pragma once
// Robust summaries of repeated measurements.
#include <cstddef>
#include <functional>
#include <vector>

namespace kvr {

struct Summary {
  int count = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation
  double iqr = 0;     // interquartile range, the spread we report next to the median
};

Summary summarize(std::vector<double> samples);

struct BootstrapInterval {
  double low = 0;
  double high = 0;
  bool valid = false;  // false with fewer than 2 items, or too few evaluable resamples
};

// Percentile bootstrap 95 % interval of `statistic` over n items: `statistic`
// gets the indices of one resample (drawn with replacement) and may return NaN
// for a resample it cannot evaluate (such resamples are skipped). The generator
// is seeded, so the same data always give the same interval.
BootstrapInterval bootstrapInterval95(
    size_t n, const std::function<double(const std::vector<size_t>&)>& statistic,
    int resamples = 2000);
// The mean's bootstrap interval.
BootstrapInterval bootstrapMeanInterval95(const std::vector<double>& values, int resamples = 2000);

// y = slope * x by least squares; r2 = 1 - SS_res / SS_tot (about the mean of
// y; negative when the line explains less than the mean does), NaN with < 2 points.
struct OriginFit {
  double slope = 0;
  double r2 = 0;
};
OriginFit fitThroughOrigin(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace kvr
