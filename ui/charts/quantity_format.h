#pragma once
// One text form per kind of quantity, for every view (tables, tooltips,
// summaries): durations in ms below a second and in s above, 4 significant
// digits.
#include <QString>

namespace kvr::ui {

QString formatSeconds(double seconds);

}  // namespace kvr::ui
