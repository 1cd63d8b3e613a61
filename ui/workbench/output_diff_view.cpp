#include "workbench/output_diff_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "kvrecycle/tokenizer.h"

namespace kvr::ui {

OutputDiffView::OutputDiffView(QWidget* parent) : QWidget(parent) {
  header_ = new QLabel(tr("Select a prompt to compare its outputs."), this);
  header_->setWordWrap(true);
  note_ = new QLabel(this);
  note_->setWordWrap(true);
  note_->setVisible(false);
  baseline_ = new QTextBrowser(this);
  recycled_ = new QTextBrowser(this);
  // Two lines at least, so the results tab beside it can be short.
  for (QTextBrowser* pane : {baseline_, recycled_}) {
    pane->setMinimumHeight(2 * pane->fontMetrics().lineSpacing() + 2 * pane->frameWidth() + 8);
  }
  auto* panes = new QHBoxLayout;
  auto* left = new QVBoxLayout;
  left->addWidget(new QLabel(tr("<b>Baseline</b> (full prefill)"), this));
  left->addWidget(baseline_);
  auto* right = new QVBoxLayout;
  right->addWidget(new QLabel(tr("<b>Recycled</b> (K/V reused)"), this));
  right->addWidget(recycled_);
  panes->addLayout(left);
  panes->addLayout(right);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(header_);
  layout->addWidget(note_);
  layout->addLayout(panes);
}

void OutputDiffView::setSyntheticNote(bool synthetic) {
  synthetic_ = synthetic;
  updateNote(nullptr);
}

// The text of a synthetic model means nothing; its timings are worth as much
// as the checks they passed, so that is said per prompt.
void OutputDiffView::updateNote(const kvr::PromptResult* r) {
  QStringList parts;
  if (synthetic_) parts << tr("Synthetic model: its text is meaningless.");
  if (r != nullptr && r->noisy) {
    parts << tr("<span style=\"color:#c07000\">These timings are noisy: %1</span>")
                 .arg(QString::fromStdString(r->noiseReason).toHtmlEscaped());
  } else if (r != nullptr && synthetic_) {
    parts << tr("These timings passed the noise checks and are faithful to the architecture.");
  }
  note_->setText(parts.join(QLatin1Char(' ')));
  note_->setVisible(!parts.isEmpty());
}

QString OutputDiffView::tokensHtml(const std::vector<int>& ids, int highlight) const {
  QString html;
  for (size_t i = 0; i < ids.size(); ++i) {
    QString piece =
        tokenizer_ != nullptr
            ? QString::fromUtf8(QByteArray::fromStdString(tokenizer_->tokenBytes(ids[i])))
            : QStringLiteral("[%1]").arg(ids[i]);
    piece = piece.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("&#8629;<br>"));
    const bool mark = static_cast<int>(i) == highlight;
    html += QStringLiteral("<span title=\"token %1 (id %2)\" style=\"%3\">%4</span>")
                .arg(i)
                .arg(ids[i])
                .arg(mark ? QStringLiteral("background-color:#e05050;color:white;")
                          : (i % 2 ? QStringLiteral("text-decoration:underline;") : QString()))
                .arg(piece);
  }
  return html.isEmpty() ? tr("<i>(no tokens)</i>") : html;
}

void OutputDiffView::showResult(const kvr::PromptResult* r) {
  updateNote(r);
  if (r == nullptr) {
    header_->setText(tr("Select a prompt to compare its outputs."));
    baseline_->clear();
    recycled_->clear();
    return;
  }
  header_->setText(
      !r->exactnessTested()
          ? tr("<b>%1</b>: nothing was reused (k = 0), so both arms ran the same full prefill; "
               "exactness is not tested here.")
                .arg(QString::fromStdString(r->promptId).toHtmlEscaped())
      : r->exactMatch
          ? tr("<b>%1</b>: outputs identical (%2 tokens), max |logit diff| %3 on the first step.")
                .arg(QString::fromStdString(r->promptId).toHtmlEscaped())
                .arg(r->baselineOutputIds.size())
                .arg(r->maxLogitDiff, 0, 'g', 3)
          : tr("<b>%1</b>: outputs <span style=\"color:#d03030\">diverge at token %2</span>.")
                .arg(QString::fromStdString(r->promptId).toHtmlEscaped())
                .arg(r->firstDivergence));
  baseline_->setHtml(tokensHtml(r->baselineOutputIds, r->firstDivergence));
  recycled_->setHtml(tokensHtml(r->recycledOutputIds, r->firstDivergence));
}

QString OutputDiffView::summaryText() const {
  return header_->text();
}
QString OutputDiffView::baselineText() const {
  return baseline_->toPlainText();
}
QString OutputDiffView::recycledText() const {
  return recycled_->toPlainText();
}

}  // namespace kvr::ui
