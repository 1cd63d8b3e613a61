#include "workbench/window_geometry.h"

#include <algorithm>

namespace kvr::ui {

QRect fitWindowRect(const QRect& saved, const QSize& minimum, const QRect& available,
                    const QMargins& frame) {
  const QRect room = available.marginsRemoved(frame);  // what the client area may cover
  QSize size = saved.isValid() ? saved.size() : kPreferredWindowSize;
  size = size.boundedTo(room.size()).expandedTo(minimum);
  QRect rect(saved.isValid() ? saved.topLeft() : QPoint(), size);
  if (!saved.isValid()) rect.moveCenter(room.center());
  // Pull it back onto the screen: right and bottom first, so a window larger
  // than the room keeps its title bar and left edge visible.
  if (rect.right() > room.right()) rect.moveRight(room.right());
  if (rect.bottom() > room.bottom()) rect.moveBottom(room.bottom());
  if (rect.left() < room.left()) rect.moveLeft(room.left());
  if (rect.top() < room.top()) rect.moveTop(room.top());
  return rect;
}

}  // namespace kvr::ui
