#include "experiment/conversation.h"

#include <regex>

#include "kvrecycle/error.h"
#include "kvrecycle/tokenizer.h"

namespace kvr {
namespace {

constexpr const char* kSeparator = "<|endoftext|>";

}  // namespace

ConversationTurnId parseConversationTurnId(const std::string& id, const std::string& where) {
  static const std::regex pattern("(s[0-9]+)-t([0-9]{1,6})");
  std::smatch m;
  if (!std::regex_match(id, m, pattern) || std::stoi(m[2].str()) < 1) {
    throw Error(where + ": conversation prompt ids are s<session>-t<turn> (e.g. s1-t2), not '" +
                id + "'");
  }
  return {m[1].str(), std::stoi(m[2].str())};
}

std::string lastUserTurn(const std::string& text) {
  const std::string sep = kSeparator;
  std::string body = text;
  if (body.size() >= sep.size() && body.compare(body.size() - sep.size(), sep.size(), sep) == 0) {
    body.resize(body.size() - sep.size());
  }
  const size_t at = body.rfind(sep);
  return at == std::string::npos ? body : body.substr(at + sep.size());
}

void validateConversation(const PromptSet& set) {
  std::map<std::string, int> lastTurn;
  for (const Prompt& p : set.prompts) {
    const std::string where = set.source + ":" + std::to_string(p.line) + ": prompt '" + p.id + "'";
    const ConversationTurnId id = parseConversationTurnId(p.id, where);
    const int expected = lastTurn[id.session] + 1;
    if (id.turn != expected) {
      throw Error(where + ": turn " + std::to_string(id.turn) + " of session " + id.session +
                  " comes where turn " + std::to_string(expected) + " is due");
    }
    lastTurn[id.session] = id.turn;
    if (lastUserTurn(p.text).empty()) throw Error(where + ": the new user turn is empty");
  }
}

ConversationBook::ConversationBook(const Gpt2Tokenizer& tokenizer, int eosToken,
                                   int maxPromptTokens)
    : tokenizer_(tokenizer), eos_(eosToken), maxPromptTokens_(maxPromptTokens) {}

std::vector<int> ConversationBook::userTokens(const std::string& text) const {
  std::vector<int> tokens = tokenizer_.encode(text);
  tokens.push_back(eos_);
  return tokens;
}

ConversationBook::TurnPrompt ConversationBook::prompt(const ConversationTurnId& id,
                                                      const std::string& userText,
                                                      const std::string& where) const {
  const std::vector<int> user = userTokens(userText);
  if (static_cast<int>(user.size()) > maxPromptTokens_) {
    throw Error(where + ": the user turn alone has " + std::to_string(user.size()) +
                " tokens, more than the " + std::to_string(maxPromptTokens_) +
                " the context leaves for a prompt");
  }
  const auto it = exchanges_.find(id.session);
  const std::vector<std::vector<int>> none;
  const auto& history = it != exchanges_.end() ? it->second : none;
  // Keep the newest exchanges that fit, drop the rest (the oldest).
  size_t kept = 0;
  size_t length = user.size();
  while (kept < history.size() && length + history[history.size() - 1 - kept].size() <=
                                      static_cast<size_t>(maxPromptTokens_)) {
    length += history[history.size() - 1 - kept].size();
    ++kept;
  }
  TurnPrompt turn;
  turn.droppedTurns = static_cast<int>(history.size() - kept);
  for (size_t i = history.size() - kept; i < history.size(); ++i) {
    turn.tokens.insert(turn.tokens.end(), history[i].begin(), history[i].end());
  }
  turn.tokens.insert(turn.tokens.end(), user.begin(), user.end());
  return turn;
}

void ConversationBook::addReply(const ConversationTurnId& id, const std::string& userText,
                                const std::vector<int>& replyIds) {
  std::vector<int> exchange = userTokens(userText);
  exchange.insert(exchange.end(), replyIds.begin(), replyIds.end());
  if (replyIds.empty() || replyIds.back() != eos_) exchange.push_back(eos_);
  exchanges_[id.session].push_back(std::move(exchange));
}

}  // namespace kvr
