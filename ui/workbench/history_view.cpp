#include "workbench/history_view.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "kvrecycle/run_store.h"
#include "workbench/run_history_model.h"
#include "workbench/run_view.h"

namespace kvr::ui {

HistoryView::HistoryView(QWidget* parent) : QWidget(parent) {
  model_ = new RunHistoryModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(Qt::UserRole);
  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->horizontalHeader()->setStretchLastSection(true);
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
  buttons->addWidget(button(tr("Refresh"), &HistoryView::refresh));
  buttons->addWidget(button(tr("Rename…"), &HistoryView::renameSelected));
  buttons->addWidget(button(tr("Notes…"), &HistoryView::editNotesOfSelected));
  buttons->addWidget(button(tr("Tags…"), &HistoryView::editTagsOfSelected));
  buttons->addWidget(button(tr("Delete…"), [this] { deleteSelected(true); }));
  buttons->addWidget(button(tr("Compare selected"), &HistoryView::compareSelected));
  buttons->addStretch(1);
  notes_ = new QLabel(this);
  notes_->setWordWrap(true);
  runView_ = new RunView(this);
  runView_->setPlaceholder(tr("Select a run above to see it as it ran."));

  auto* listPane = new QWidget(this);
  auto* listLayout = new QVBoxLayout(listPane);
  listLayout->setContentsMargins(0, 0, 0, 0);
  listLayout->addLayout(buttons);
  listLayout->addWidget(table_);
  listLayout->addWidget(notes_);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(listPane);
  split->addWidget(runView_);
  split->setStretchFactor(1, 3);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(split);
}

void HistoryView::setDatabase(const QString& path) {
  database_ = path;
  refresh();
}

void HistoryView::refresh() {
  if (database_.isEmpty() || !QFileInfo::exists(database_)) {
    model_->setRuns({});
    return;
  }
  try {
    const kvr::RunStore store(database_.toStdString(), /*readOnly=*/true);
    model_->setRuns(store.listRuns());
  } catch (const std::exception& e) {
    emit error(QString::fromUtf8(e.what()));
  }
}

qint64 HistoryView::currentRunId() const {
  const QModelIndex index = table_->currentIndex();
  if (!index.isValid()) return 0;
  const kvr::RunRecord* run = model_->runAt(proxy_->mapToSource(index).row());
  return run != nullptr ? run->id : 0;
}

QList<qint64> HistoryView::selectedRunIds() const {
  QList<qint64> ids;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows()) {
    if (const kvr::RunRecord* run = model_->runAt(proxy_->mapToSource(index).row())) ids << run->id;
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void HistoryView::openRun(qint64 id) {
  if (id <= 0) return;
  try {
    const kvr::RunStore store(database_.toStdString(), /*readOnly=*/true);
    const auto run = store.findRun(id);
    if (!run) return;
    runView_->showRun(*run, store.promptResults(id));
    QStringList tags;
    for (const auto& t : run->tags) tags << QString::fromStdString(t);
    notes_->setText(tr("<b>Notes:</b> %1 &nbsp; <b>Tags:</b> %2%3")
                        .arg(QString::fromStdString(run->notes).toHtmlEscaped(),
                             tags.join(QStringLiteral(", ")).toHtmlEscaped(),
                             run->error.empty()
                                 ? QString()
                                 : tr(" &nbsp; <b>Error:</b> %1")
                                       .arg(QString::fromStdString(run->error).toHtmlEscaped())));
  } catch (const std::exception& e) {
    emit error(QString::fromUtf8(e.what()));
  }
}

void HistoryView::renameSelected() {
  const qint64 id = currentRunId();
  const kvr::RunRecord* run = model_->runAt(model_->rowOfRun(id));
  if (run == nullptr) return;
  bool ok = false;
  const QString name = QInputDialog::getText(this, tr("Rename run"), tr("Name:"), QLineEdit::Normal,
                                             QString::fromStdString(run->name), &ok);
  if (!ok || name.trimmed().isEmpty()) return;
  try {
    kvr::RunStore(database_.toStdString()).renameRun(id, name.trimmed().toStdString());
  } catch (const std::exception& e) {
    emit error(QString::fromUtf8(e.what()));
  }
  refresh();
}

void HistoryView::editNotesOfSelected() {
  const qint64 id = currentRunId();
  const kvr::RunRecord* run = model_->runAt(model_->rowOfRun(id));
  if (run == nullptr) return;
  bool ok = false;
  const QString notes = QInputDialog::getMultiLineText(this, tr("Run notes"), tr("Notes:"),
                                                       QString::fromStdString(run->notes), &ok);
  if (!ok) return;
  try {
    kvr::RunStore(database_.toStdString()).setNotes(id, notes.toStdString());
  } catch (const std::exception& e) {
    emit error(QString::fromUtf8(e.what()));
  }
  refresh();
  openRun(id);
}

void HistoryView::editTagsOfSelected() {
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
  std::vector<std::string> tags;
  for (const QString& t : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    if (!t.trimmed().isEmpty()) tags.push_back(t.trimmed().toStdString());
  }
  try {
    kvr::RunStore(database_.toStdString()).setTags(id, tags);
  } catch (const std::exception& e) {
    emit error(QString::fromUtf8(e.what()));
  }
  refresh();
}

void HistoryView::deleteSelected(bool confirm) {
  const QList<qint64> ids = selectedRunIds();
  if (ids.isEmpty()) return;
  if (confirm &&
      QMessageBox::question(this, tr("Delete runs"),
                            tr("Delete %n run(s) and their results? This cannot be undone.",
                               nullptr, static_cast<int>(ids.size()))) != QMessageBox::Yes) {
    return;
  }
  try {
    kvr::RunStore store(database_.toStdString());
    for (qint64 id : ids) store.deleteRun(id);
  } catch (const std::exception& e) {
    emit error(QString::fromUtf8(e.what()));
  }
  refresh();
}

void HistoryView::compareSelected() {
  const QList<qint64> ids = selectedRunIds();
  if (ids.size() < 2) {
    emit error(tr("Select two or more runs to compare (Ctrl+click)."));
    return;
  }
  emit compareRequested(ids);
}

}  // namespace kvr::ui
