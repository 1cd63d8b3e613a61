#pragma once
// Robust summaries of repeated measurements.
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

}  // namespace kvr
