#include "workbench/history_page.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

#include "workbench/eviction_view.h"
#include "workbench/run_history_model.h"
#include "workbench/run_store_service.h"
#include "workbench/run_view.h"
#include "workbench/splitter_memory.h"
#include "workbench/table_fit.h"

namespace kvr::ui {

HistoryPage::HistoryPage(RunStoreService* store, QWidget* parent) : QWidget(parent), store_(store) {
  model_ = new RunHistoryModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(Qt::UserRole);
  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  fitColumns(table_, RunHistoryModel::Name);
  compactRows(table_);
  connect(table_, &QTableView::doubleClicked, this,
          [this](const QModelIndex&) { openRun(currentRunId()); });
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex&) { openRun(currentRunId()); });

  const auto button = [this](const QString& text, auto slot) {
    auto* b = new QPushButton(text, this);
    connect(b, &QPushButton::clicked, this, slot);
    return b;
  };
  auto* buttons = new QHBoxLayout;
  // Alt+letter reaches each button; F2 and Delete act on the selected runs.
  buttons->addWidget(button(tr("R&efresh"), &HistoryPage::refresh));
  buttons->addWidget(button(tr("Re&name…"), &HistoryPage::renameSelected));
  buttons->addWidget(button(tr("N&otes…"), &HistoryPage::editNotesOfSelected));
  buttons->addWidget(button(tr("T&ags…"), &HistoryPage::editTagsOfSelected));
  buttons->addWidget(button(tr("&Delete…"), [this] { deleteSelected(true); }));
  buttons->addWidget(button(tr("Com&pare selected"), &HistoryPage::compareSelected));
  const auto shortcut = [this](const QKeySequence& keys, auto slot) {
    auto* action = new QAction(this);
    action->setShortcut(keys);
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(action, &QAction::triggered, this, slot);
    table_->addAction(action);
  };
  shortcut(QKeySequence(Qt::Key_F2), &HistoryPage::renameSelected);
  shortcut(QKeySequence::Delete, [this] { deleteSelected(true); });
  buttons->addStretch(1);
  notes_ = new QLabel(this);
  notes_->setWordWrap(true);
  notes_->setVisible(false);
  runView_ = new RunView(this, RunView::Room::BelowAList);
  runView_->setPlaceholder(tr("Select a run above to see it as it ran."));
  evictionView_ = new EvictionView(this);
  detail_ = new QStackedWidget(this);
  detail_->addWidget(runView_);
  detail_->addWidget(evictionView_);

  auto* listPane = new QWidget(this);
  auto* listLayout = new QVBoxLayout(listPane);
  listLayout->setContentsMargins(0, 0, 0, 0);
  listLayout->addLayout(buttons);
  listLayout->addWidget(table_);
  listLayout->addWidget(notes_);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(listPane);
  split->addWidget(detail_);
  split->setStretchFactor(1, 3);
  split->setSizes({120, 560});  // a few runs listed; the run itself gets the room
  rememberSplitter(split, QStringLiteral("history/listAndRun"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(split);
  connect(store_, &RunStoreService::runsChanged, this, &HistoryPage::refresh);
}

// Keeps the selection and the current run across the reload, so the list
// always shows which run the detail below is about.
void HistoryPage::refresh() {
  const QList<qint64> selected = selectedRunIds();
  const qint64 current = currentRunId() > 0 ? currentRunId() : shownRunId();
  try {
    model_->setRuns(store_->listRuns());
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
  fitColumns(table_, RunHistoryModel::Name);
  selectRuns(selected, current);
}

void HistoryPage::selectRuns(const QList<qint64>& ids, qint64 current) {
  QItemSelectionModel* selection = table_->selectionModel();
  const QSignalBlocker quiet(selection);  // the detail already shows `current`
  selection->clearSelection();
  QItemSelection rows;
  for (qint64 id : ids) {
    const QModelIndex row = proxy_->mapFromSource(model_->index(model_->rowOfRun(id), 0));
    if (row.isValid()) rows.select(row, row);
  }
  const QModelIndex currentRow = proxy_->mapFromSource(model_->index(model_->rowOfRun(current), 0));
  if (currentRow.isValid()) {
    selection->setCurrentIndex(currentRow, QItemSelectionModel::NoUpdate);
    if (ids.isEmpty()) rows.select(currentRow, currentRow);
  }
  selection->select(rows, QItemSelectionModel::Select | QItemSelectionModel::Rows);
  table_->viewport()->update();
}

qint64 HistoryPage::currentRunId() const {
  const QModelIndex index = table_->currentIndex();
  if (!index.isValid()) return 0;
  const kvr::RunRecord* run = model_->runAt(proxy_->mapToSource(index).row());
  return run != nullptr ? run->id : 0;
}

QList<qint64> HistoryPage::selectedRunIds() const {
  QList<qint64> ids;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows()) {
    if (const kvr::RunRecord* run = model_->runAt(proxy_->mapToSource(index).row())) ids << run->id;
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void HistoryPage::openRun(qint64 id) {
  if (id <= 0) return;
  try {
    const std::optional<ComparedRun> stored = store_->loadRun(id);
    if (!stored) return;
    const kvr::RunRecord& run = stored->run;
    if (run.kind == kvr::RunKind::Eviction) {
      evictionView_->showRun(run, stored->evictionRows);
      detail_->setCurrentWidget(evictionView_);
    } else {
      runView_->showRun(run, stored->results);
      detail_->setCurrentWidget(runView_);
    }
    if (currentRunId() != id) selectRuns({id}, id);  // opened from elsewhere: show it in the list
    QStringList tags;
    for (const auto& t : run.tags) tags << QString::fromStdString(t);
    // Only when there is something to say: at 1280x720 every line counts.
    notes_->setVisible(!run.notes.empty() || !run.tags.empty() || !run.error.empty());
    notes_->setText(tr("<b>Notes:</b> %1 &nbsp; <b>Tags:</b> %2%3")
                        .arg(QString::fromStdString(run.notes).toHtmlEscaped(),
                             tags.join(QStringLiteral(", ")).toHtmlEscaped(),
                             run.error.empty()
                                 ? QString()
                                 : tr(" &nbsp; <b>Error:</b> %1")
                                       .arg(QString::fromStdString(run.error).toHtmlEscaped())));
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
}

bool HistoryPage::showsEviction() const {
  return detail_->currentWidget() == evictionView_;
}

qint64 HistoryPage::shownRunId() const {
  return showsEviction() ? evictionView_->runId() : runView_->runId();
}

void HistoryPage::renameSelected() {
  const qint64 id = currentRunId();
  const kvr::RunRecord* run = model_->runAt(model_->rowOfRun(id));
  if (run == nullptr) return;
  bool ok = false;
  const QString name = QInputDialog::getText(this, tr("Rename run"), tr("Name:"), QLineEdit::Normal,
                                             QString::fromStdString(run->name), &ok);
  if (!ok || name.trimmed().isEmpty()) return;
  try {
    store_->renameRun(id, name.trimmed());
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
}

void HistoryPage::editNotesOfSelected() {
  const qint64 id = currentRunId();
  const kvr::RunRecord* run = model_->runAt(model_->rowOfRun(id));
  if (run == nullptr) return;
  bool ok = false;
  const QString notes = QInputDialog::getMultiLineText(this, tr("Run notes"), tr("Notes:"),
                                                       QString::fromStdString(run->notes), &ok);
  if (!ok) return;
  try {
    store_->setNotes(id, notes);
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
  openRun(id);
}

void HistoryPage::editTagsOfSelected() {
  const qint64 id = currentRunId();
  const kvr::RunRecord* run = model_->runAt(model_->rowOfRun(id));
  if (run == nullptr) return;
  QStringList current;
  for (const auto& t : run->tags) current << QString::fromStdString(t);
  bool ok = false;
  const QString text =
      QInputDialog::getText(this, tr("Run tags"), tr("Tags (comma-separated):"), QLineEdit::Normal,
                            current.join(QStringLiteral(", ")), &ok);
  if (!ok) return;
  QStringList tags;
  for (const QString& t : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    if (!t.trimmed().isEmpty()) tags << t.trimmed();
  }
  try {
    store_->setTags(id, tags);
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
}

void HistoryPage::deleteSelected(bool confirm) {
  const QList<qint64> ids = selectedRunIds();
  if (ids.isEmpty()) return;
  if (confirm &&
      QMessageBox::question(this, tr("Delete runs"),
                            tr("Delete %n run(s) and their results? This cannot be undone.",
                               nullptr, static_cast<int>(ids.size()))) != QMessageBox::Yes) {
    return;
  }
  try {
    store_->deleteRuns(ids);
  } catch (const std::exception& e) {
    emit logLine(QString::fromUtf8(e.what()));
  }
}

void HistoryPage::compareSelected() {
  const QList<qint64> ids = selectedRunIds();
  if (ids.size() < 2) {
    emit logLine(tr("Select two or more runs to compare (Ctrl+click)."));
    return;
  }
  emit compareRequested(ids);
}

}  // namespace kvr::ui
