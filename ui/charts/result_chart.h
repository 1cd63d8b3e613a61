#pragma once
// Base of the three result charts: owns a QCustomPlot with a title, one axis
// rect and a legend below it; draws one run (normal view) or several runs
// overlaid (compare view); appends live results with a coalesced replot;
// zoom/pan, double-click to reset the view, hover tooltips per prompt; colours
// follow the widget palette (light and dark).
#include <QColor>
#include <QList>
#include <QPair>
#include <QPointF>
#include <QSharedPointer>
#include <QString>
#include <QVector>
#include <QWidget>
#include <optional>

#include "charts/run_series.h"

class QCustomPlot;
class QCPAbstractPlottable;
class QCPAxis;
class QCPGraph;
class QCPItemText;
class QCPTextElement;
class QMouseEvent;

namespace kvr::ui {

class PromptTicker;

class ResultChart : public QWidget {
  Q_OBJECT

 public:
  ~ResultChart() override;

  // Full redraw: one run gives the normal view, several an overlay with a
  // legend entry per run.
  void setRuns(const QList<RunSeries>& runs);
  // Live: appends to the first run (creating it if none) and schedules a
  // queued replot; the single-run view is extended in place, not rebuilt.
  void appendResult(const kvr::PromptResult& r);
  void clear();

  const QList<RunSeries>& runs() const { return runs_; }
  bool isOverlay() const { return runs_.size() > 1; }
  // Prompts plotted for that run (counted from the plot data, not the input).
  int pointCount(int run = 0) const;
  QString title() const;
  QCustomPlot* plot() const { return plot_; }

  // Rescales the axes to the data (also on double-click).
  void resetView();
  // Black on white whatever the widget palette (figures for print); the
  // exporter switches it on while it writes.
  void setPublicationColors(bool on);
  bool publicationColors() const { return publicationColors_; }

  // Marks result `index` of run `run` with a ring and its prompt id (the
  // row selected in a table); index < 0 clears the mark.
  void highlightResult(int run, int index);
  int highlightedRun() const { return highlightRun_; }
  int highlightedIndex() const { return highlightIndex_; }
  // Where result `index` of run `run` is drawn, in plot coordinates; nullopt
  // when it is not drawn. Highlights and point labels go there.
  virtual std::optional<QPointF> pointOf(int run, int index) const = 0;
  int pointLabelCount() const { return static_cast<int>(pointLabels_.size()); }

  // The caption under the title names the runs (label, model, policy, date);
  // the exporter shows it so a figure says what it shows.
  void setCaptionShown(bool shown);
  // Charts with a figure of their own to state (a footprint) add a line to it.
  virtual QString caption() const;

  // The QCustomPlot version the charts draw with, for the About dialog.
  static QString plotLibraryVersion();

  // The colour of run `index` in the compare view; readable on light and dark.
  static QColor seriesColor(int index);
  static QColor exactColor();
  static QColor divergedColor();

 signals:
  // A click (not a drag) on the point of result `index` of run `run`.
  void resultClicked(int run, int index);

 protected:
  ResultChart(const QString& title, QWidget* parent);

  // Draws runs() from scratch into plot(); plottables were cleared before.
  virtual void build() = 0;
  // Extends the single-run view by the last result of run 0; return false
  // to fall back to build().
  virtual bool appendToView(const kvr::PromptResult& r) = 0;
  // Sets the axis ranges for the current data.
  virtual void fitRanges() = 0;
  // Index into runs()[run].results of the data point `key`/`value` of a
  // hover plottable; the default treats the key as the prompt number (1..n).
  virtual int resultIndexAt(int run, const QCPAbstractPlottable* plottable, double key,
                            double value) const;

  // Result `index` of run `run`, or nullptr when there is none.
  const kvr::PromptResult* resultAt(int run, int index) const;
  // A note centred on the data area (what an empty chart lacks); hidden until shown.
  QCPItemText* addCentreNote(const QString& text);

  // Plottables whose data count is the run's point count.
  void addPrimary(int run, QCPAbstractPlottable* plottable);
  // Plottables that answer hover tooltips for a run.
  void addHover(int run, QCPAbstractPlottable* plottable);

  // Text and axis colours from the palette (used by subclasses for neutral lines).
  QColor textColor() const;
  QColor backgroundColor() const;
  bool darkPalette() const;

  // Prompt-number axis: integer ticks labelled with the prompt ids of run 0.
  void setPromptTicker(QCPAxis* axis);
  void updatePromptTicks();
  void setLegendColumns(int columns);

  // Clears the plottables and draws runs() again; subclass constructors call
  // it once their axes are set up.
  void rebuild();
  // Compare view: run `run` gets its own marker shape, size, fill and dash
  // style besides its colour, so identical series stay visible on top of each other.
  void styleOverlayGraph(QCPGraph* graph, int run, double lineWidth, bool hollow = false) const;
  static Qt::PenStyle seriesDash(int run);
  // Prompt ids written next to the points (few points, single run); off by default.
  void setLabelsPoints(bool on) { labelsPoints_ = on; }

  void changeEvent(QEvent* event) override;

 private:
  struct Registered {
    int run;
    QCPAbstractPlottable* plottable;
  };
  void applyPalette();
  void scheduleReplot();
  void onMouseMove(QMouseEvent* event);
  void onMousePress(QMouseEvent* event);
  void onMouseRelease(QMouseEvent* event);
  QString tooltipFor(int run, int index) const;
  void refreshOverlays();  // highlight, point labels and caption after data changed

  QCustomPlot* plot_ = nullptr;
  QCPTextElement* title_ = nullptr;    // in the layout only while exporting
  QCPTextElement* caption_ = nullptr;  // likewise
  bool captionShown_ = false;
  QCPGraph* highlight_ = nullptr;
  QCPItemText* highlightLabel_ = nullptr;
  int highlightRun_ = -1;
  int highlightIndex_ = -1;
  bool labelsPoints_ = false;
  QList<QCPItemText*> pointLabels_;
  QList<RunSeries> runs_;
  QVector<Registered> primary_;
  QVector<Registered> hover_;
  QSharedPointer<PromptTicker> promptTicker_;
  bool publicationColors_ = false;
  bool built_ = false;
  bool userMovedView_ = false;
  QPair<double, double> pressXRange_;
  QPair<double, double> pressYRange_;
  int hoverRun_ = -1;
  int hoverIndex_ = -1;
};

}  // namespace kvr::ui
