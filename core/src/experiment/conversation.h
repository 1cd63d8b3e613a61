#pragma once
// Conversation turns in online runs. A turn's prompt is, in DialoGPT's format,
// the session's earlier exchanges and the new user turn, each followed by the
// end-of-text token: u1 <eot> r1 <eot> ... u <eot>. Here the replies r are the
// model's own output ids from this run (as a chat server keeps its history), so
// the previous turn's prompt and reply are exactly a token prefix of the next
// prompt. When the history would not fit the context, the oldest exchanges are
// dropped (the turn reports how many), which also loses their reuse.
#include <map>
#include <string>
#include <vector>

#include "kvrecycle/prompt_set.h"

namespace kvr {

class Gpt2Tokenizer;

struct ConversationTurnId {
  std::string session;  // "s3"
  int turn = 0;         // 2
};

// "s3-t2" -> {"s3", 2}; throws kvr::Error naming `where` for any other id.
ConversationTurnId parseConversationTurnId(const std::string& id, const std::string& where);
// The new user turn of "u1<|endoftext|>r1<|endoftext|>u2<|endoftext|>": "u2".
// The separator is optional after the last turn.
std::string lastUserTurn(const std::string& text);
// Every id parses, every session's turns come in order 1, 2, ... and every
// user turn has text; throws kvr::Error naming the source, line and prompt.
void validateConversation(const PromptSet& set);

class ConversationBook {
 public:
  ConversationBook(const Gpt2Tokenizer& tokenizer, int eosToken, int maxPromptTokens);

  struct TurnPrompt {
    std::vector<int> tokens;
    int droppedTurns = 0;  // oldest exchanges left out so that it fits
  };
  // Throws kvr::Error naming `where` when the user turn alone does not fit.
  TurnPrompt prompt(const ConversationTurnId& id, const std::string& userText,
                    const std::string& where) const;
  // The model answered the turn with `replyIds`: keep the exchange for the next turns.
  void addReply(const ConversationTurnId& id, const std::string& userText,
                const std::vector<int>& replyIds);

 private:
  std::vector<int> userTokens(const std::string& text) const;  // text + <eot>
  const Gpt2Tokenizer& tokenizer_;
  int eos_;
  int maxPromptTokens_;
  std::map<std::string, std::vector<std::vector<int>>> exchanges_;  // session -> u <eot> r <eot>
};

}  // namespace kvr
