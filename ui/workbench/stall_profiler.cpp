#include "workbench/stall_profiler.h"

#include <QTimer>
#include <algorithm>

namespace kvr::ui {
namespace {

constexpr int kSampleMs = 10;

}  // namespace

StallProfiler::StallProfiler(QObject* parent) : QObject(parent), timer_(new QTimer(this)) {
  timer_->setInterval(kSampleMs);
  connect(timer_, &QTimer::timeout, this, &StallProfiler::sample);
}

void StallProfiler::start() {
  longestMs_ = 0;
  clock_.start();
  timer_->start();
}

void StallProfiler::stop() {
  timer_->stop();
}

void StallProfiler::sample() {
  const double gap = static_cast<double>(clock_.restart()) - kSampleMs;
  longestMs_ = std::max(longestMs_, gap);
}

}  // namespace kvr::ui
