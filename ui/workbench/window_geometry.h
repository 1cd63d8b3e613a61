#pragma once
// Where the main window goes on the screen: a saved geometry is restored but
// clamped to the screen; without one the window takes a comfortable size that
// fits the available area (a 1280x720 screen included).
#include <QMargins>
#include <QRect>
#include <QSize>

namespace kvr::ui {

// The client rectangle for the window. `saved` is invalid on a first start;
// `frame` is the window decoration around the client area; `minimum` the
// window's minimum size (the result is never smaller, even on a tinier screen).
QRect fitWindowRect(const QRect& saved, const QSize& minimum, const QRect& available,
                    const QMargins& frame);

// The size the window asks for on a first start when the screen is large.
inline constexpr QSize kPreferredWindowSize(1400, 900);

}  // namespace kvr::ui
