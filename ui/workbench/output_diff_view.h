#pragma once
// Baseline and recycled outputs side by side, token by token, with the first
// divergent token highlighted.
#include <QWidget>

#include "kvrecycle/results.h"

class QTextBrowser;
class QLabel;

namespace kvr {
class Gpt2Tokenizer;
}

namespace kvr::ui {

class OutputDiffView : public QWidget {
  Q_OBJECT
 public:
  explicit OutputDiffView(QWidget* parent = nullptr);
  void setTokenizer(const kvr::Gpt2Tokenizer* tokenizer) { tokenizer_ = tokenizer; }
  void setSyntheticNote(bool synthetic);
  void showResult(const kvr::PromptResult* result);
  QString summaryText() const;  // the line above the two panes
  QString baselineText() const;
  QString recycledText() const;

 private:
  QString tokensHtml(const std::vector<int>& ids, int highlight) const;
  void updateNote(const kvr::PromptResult* r);

  const kvr::Gpt2Tokenizer* tokenizer_ = nullptr;
  bool synthetic_ = false;
  QLabel* header_;
  QLabel* note_;
  QTextBrowser* baseline_;
  QTextBrowser* recycled_;
};

}  // namespace kvr::ui
