#include "kvrecycle/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>

namespace kvr {
namespace {

// Linear interpolation between order statistics (numpy's default).
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

Summary summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = static_cast<int>(samples.size());
  s.min = samples.front();
  s.max = samples.back();
  s.median = quantile(samples, 0.5);
  s.iqr = quantile(samples, 0.75) - quantile(samples, 0.25);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / s.count;
  if (s.count > 1) {
    double sq = 0;
    for (double v : samples) sq += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(sq / (s.count - 1));
  }
  return s;
}

}  // namespace kvr

namespace kvr {
namespace {

constexpr uint64_t kBootstrapSeed = 0x6b7672626f6f7473ull;  // "kvrboots"

}  // namespace

BootstrapInterval bootstrapInterval95(
    size_t n, const std::function<double(const std::vector<size_t>&)>& statistic, int resamples) {
  BootstrapInterval interval;
  // Resampling one item only repeats it: no interval to speak of.
  if (n < 2 || resamples < 1) return interval;
  std::mt19937_64 rng(kBootstrapSeed);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  std::vector<size_t> sample(n);
  std::vector<double> stats;
  stats.reserve(static_cast<size_t>(resamples));
  for (int b = 0; b < resamples; ++b) {
    for (size_t& i : sample) i = pick(rng);
    const double value = statistic(sample);
    if (!std::isnan(value)) stats.push_back(value);
  }
  // Too few evaluable resamples to say anything.
  if (stats.size() < static_cast<size_t>(resamples) / 2) return interval;
  std::sort(stats.begin(), stats.end());
  interval.low = quantile(stats, 0.025);
  interval.high = quantile(stats, 0.975);
  interval.valid = true;
  return interval;
}

BootstrapInterval bootstrapMeanInterval95(const std::vector<double>& values, int resamples) {
  return bootstrapInterval95(
      values.size(),
      [&values](const std::vector<size_t>& sample) {
        double sum = 0;
        for (const size_t i : sample) sum += values[i];
        return sum / static_cast<double>(sample.size());
      },
      resamples);
}

OriginFit fitThroughOrigin(const std::vector<double>& x, const std::vector<double>& y) {
  OriginFit fit;
  fit.r2 = std::nan("");
  double xy = 0, xx = 0, mean = 0;
  const size_t n = std::min(x.size(), y.size());
  for (size_t i = 0; i < n; ++i) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    mean += y[i];
  }
  if (xx <= 0) return fit;
  fit.slope = xy / xx;
  if (n < 2) return fit;
  mean /= static_cast<double>(n);
  double residual = 0, total = 0;
  for (size_t i = 0; i < n; ++i) {
    residual += (y[i] - fit.slope * x[i]) * (y[i] - fit.slope * x[i]);
    total += (y[i] - mean) * (y[i] - mean);
  }
  if (total > 0) fit.r2 = 1.0 - residual / total;
  return fit;
}

}  // namespace kvr
