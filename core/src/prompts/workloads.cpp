#include "kvrecycle/workloads.h"

#include "kvrecycle/error.h"
#include "kvrecycle/tokenizer.h"

#include <algorithm>

namespace kvr {
namespace {

const std::vector<std::string> kSubjects = {
    "the library",        "our team",       "the river",        "a small town",
    "the committee",      "every engineer", "the old bridge",   "the new policy",
    "a curious student",  "the museum",     "the orchestra",    "the harbor",
    "the research group", "a local bakery", "the city council", "the garden"};
const std::vector<std::string> kVerbs = {
    "opens", "reviews", "protects", "describes", "supports", "measures", "changes",    "welcomes",
    "plans", "records", "improves", "explains",  "shares",   "repairs",  "celebrates", "studies"};
const std::vector<std::string> kObjects = {
    "the morning schedule", "every request",      "the quiet season",   "a detailed report",
    "the annual festival",  "new visitors",       "the weekly budget",  "its oldest records",
    "the northern path",    "a list of rules",    "the shared kitchen", "long evening walks",
    "the spring harvest",   "a careful estimate", "the central square", "many small details"};
const std::vector<std::string> kQuestions = {
    "What should a newcomer read first",      "How long does the review usually take",
    "Who decides when the rules change",      "Why does the schedule move in winter",
    "Where can visitors leave their bags",    "Which report covers the budget",
    "When does the festival start this year", "How can I help with the repairs",
    "What happens to late requests",          "Is the northern path open at night",
    "Can the kitchen be booked for a group",  "How are the records kept safe"};

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  size_t pick(size_t n) {
    state_ ^= state_ << 13, state_ ^= state_ >> 7, state_ ^= state_ << 17;
    return static_cast<size_t>(state_ % n);
  }
  template <typename T>
  const T& from(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

 private:
  uint64_t state_;
};

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string sentence(Rng& rng) {
  return capitalized(rng.from(kSubjects)) + " " + rng.from(kVerbs) + " " + rng.from(kObjects) + ".";
}

// Sentences until the text has at least `tokens` tokens.
std::string textOfTokens(const Gpt2Tokenizer& tokenizer, Rng& rng, int tokens) {
  std::string text = sentence(rng);
  while (static_cast<int>(tokenizer.encode(text).size()) < tokens) text += " " + sentence(rng);
  return text;
}

std::string question(Rng& rng, const Gpt2Tokenizer& tokenizer, int tokens) {
  std::string q = rng.from(kQuestions) + "?";
  while (static_cast<int>(tokenizer.encode(q).size()) < tokens) {
    q += " Also, " + rng.from(kSubjects) + " " + rng.from(kVerbs) + " " + rng.from(kObjects) + "?";
  }
  return q;
}

Workload sharedPrefix(const Gpt2Tokenizer& tokenizer, const WorkloadOptions& o) {
  Rng rng(o.seed);
  const std::string prefix = textOfTokens(tokenizer, rng, o.prefixTokens);
  Workload w;
  w.cache.source = "shared-prefix cache";
  w.test.source = "shared-prefix test";
  w.cache.prompts.push_back({"prefix", prefix, 0});
  for (int i = 0; i < 2; ++i) {
    w.cache.prompts.push_back({"prefix-q" + std::to_string(i + 1),
                               prefix + " " + question(rng, tokenizer, o.suffixTokens), 0});
  }
  for (int i = 0; i < o.count; ++i) {
    w.test.prompts.push_back({"test-" + std::to_string(i + 1),
                              prefix + " " + question(rng, tokenizer, o.suffixTokens), 0});
  }
  Rng other(o.seed + 7919);
  w.test.prompts.push_back({"unrelated", textOfTokens(tokenizer, other, o.suffixTokens), 0});
  return w;
}

Workload dialogue(const Gpt2Tokenizer& tokenizer, const WorkloadOptions& o) {
  Rng rng(o.seed);
  Workload w;
  w.cache.source = "dialogue cache";
  w.test.source = "dialogue test";
  for (int c = 0; c < o.count; ++c) {
    std::string history;
    for (int turn = 1; turn <= o.turns; ++turn) {
      history += question(rng, tokenizer, o.suffixTokens / 2) + "<|endoftext|>" + sentence(rng) +
                 "<|endoftext|>";
      const std::string id = "c" + std::to_string(c + 1) + "-t" + std::to_string(turn);
      if (turn < o.turns) w.cache.prompts.push_back({id, history, 0});
      if (turn > 1) w.test.prompts.push_back({id, history, 0});
    }
  }
  return w;
}

Workload conversation(const Gpt2Tokenizer& tokenizer, const WorkloadOptions& o) {
  const std::string eot = "<|endoftext|>";
  Rng rng(o.seed);
  Workload w;
  w.cache.source = "conversation cache";
  w.test.source = "conversation test";
  // Per session, its exchanges so far: "user<eot>reply<eot>" and their token counts.
  std::vector<std::vector<std::pair<std::string, int>>> history(static_cast<size_t>(o.sessions));
  const auto tokens = [&tokenizer](const std::string& text) {
    return static_cast<int>(tokenizer.encode(text).size());
  };
  for (int turn = 1; turn <= o.turns; ++turn) {
    for (int s = 0; s < o.sessions; ++s) {
      auto& exchanges = history[static_cast<size_t>(s)];
      const std::string user = question(rng, tokenizer, o.suffixTokens / 2) + eot;
      int length = tokens(user);
      if (length > o.maxPromptTokens) throw Error("a user turn alone exceeds the prompt limit");
      size_t kept = 0;  // newest exchanges that still fit
      while (kept < exchanges.size() &&
             length + exchanges[exchanges.size() - 1 - kept].second <= o.maxPromptTokens) {
        length += exchanges[exchanges.size() - 1 - kept].second;
        ++kept;
      }
      std::string text;
      for (size_t i = exchanges.size() - kept; i < exchanges.size(); ++i)
        text += exchanges[i].first;
      const int dropped = static_cast<int>(exchanges.size() - kept);
      w.truncatedPrompts += dropped > 0 ? 1 : 0;
      w.droppedTurns += dropped;
      const std::string id = "s" + std::to_string(s + 1) + "-t" + std::to_string(turn);
      w.test.prompts.push_back({id, text + user, 0});
      const std::string exchange = user + sentence(rng) + eot;
      exchanges.emplace_back(exchange, tokens(exchange));
    }
  }
  return w;
}

}  // namespace

std::vector<std::string> workloadKinds() {
  return {"shared-prefix", "dialogue", "conversation"};
}

Workload makeWorkload(const Gpt2Tokenizer& tokenizer, const WorkloadOptions& o) {
  if (o.prefixTokens < 1 || o.suffixTokens < 2 || o.count < 1 || o.turns < 2 || o.sessions < 1 ||
      o.maxPromptTokens < 8) {
    throw Error(
        "workload sizes must be positive (prefix >= 1, suffix >= 2, count >= 1, turns >= 2, "
        "sessions >= 1, max prompt tokens >= 8)");
  }
  Workload w;
  if (o.kind == "shared-prefix") {
    w = sharedPrefix(tokenizer, o);
  } else if (o.kind == "dialogue") {
    w = dialogue(tokenizer, o);
  } else if (o.kind == "conversation") {
    w = conversation(tokenizer, o);
  } else {
    throw Error("unknown workload kind '" + o.kind +
                "' (expected shared-prefix, dialogue or conversation)");
  }
  for (auto* set : {&w.cache, &w.test}) {
    for (size_t i = 0; i < set->prompts.size(); ++i) set->prompts[i].line = static_cast<int>(i) + 2;
  }
  return w;
}

std::vector<int> syntheticTokenIds(int length, int vocab, uint64_t seed) {
  std::vector<int> ids;
  ids.reserve(static_cast<size_t>(std::max(length, 0)));
  uint64_t x = seed | 1;
  for (int i = 0; i < length; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ids.push_back(static_cast<int>(x % static_cast<uint64_t>(vocab - 1)));
  }
  return ids;
}

}  // namespace kvr
