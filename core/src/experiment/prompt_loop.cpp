#include "experiment/prompt_loop.h"

#include <algorithm>

#include "experiment/cache_builder.h"
#include "experiment/conversation.h"
#include "experiment/cost_gate.h"
#include "experiment/prompt_measurement.h"
#include "experiment/reuse_planner.h"
#include "kv/resident_store.h"
#include "kvrecycle/embedders.h"
#include "kvrecycle/error.h"
#include "kvrecycle/kv_store.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_store.h"
#include "kvrecycle/tokenizer.h"
#include "text/utf8.h"

namespace kvr {
namespace {

bool cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load();
}

// The prompt's K/V and its reply's, from the baseline arm's cache after its
// last run (which holds the prompt and all but the last output token): the
// missing positions are computed, as far as the cache holds them.
const KVCache& completeSequence(const Model& model, KVCache& cache, const std::vector<int>& prompt,
                                const std::vector<int>& output) {
  std::vector<int> sequence = prompt;
  sequence.insert(sequence.end(), output.begin(), output.end());
  sequence.resize(std::min(sequence.size(), static_cast<size_t>(cache.capacity())));
  const std::vector<int>& held = cache.tokens();
  const bool prefix =
      held.size() <= sequence.size() && std::equal(held.begin(), held.end(), sequence.begin());
  if (!prefix) cache.reset();
  const std::vector<int> rest(sequence.begin() + cache.length(), sequence.end());
  if (!rest.empty()) model.forward(cache, rest);
  return cache;
}

// The candidates as they change: entries evicted or truncated by the store.
void applyStoreChanges(ResidentStore& resident, const Embedder& embedder, RunStore& runStore,
                       std::vector<CachedPrompt>& candidates, bool& changed) {
  ResidentStore::Changes changes = resident.takeChanges();
  for (const std::string& id : changes.removed) {
    runStore.removeCacheEntry(id);
    const auto end = std::remove_if(candidates.begin(), candidates.end(),
                                    [&id](const CachedPrompt& c) { return c.entryId == id; });
    changed = changed || end != candidates.end();
    candidates.erase(end, candidates.end());
  }
  for (const KVEntryInfo& info : changes.added) {
    runStore.upsertCacheEntry(cacheEntryRecordOf(info));
    candidates.push_back(
        {"truncated", info.text, info.tokenIds, info.entryId, embedder.embed(info.text)});
    changed = true;
  }
}

CostGate costGateFor(const PromptLoopInput& in) {
  const ModelConfig& c = in.model->config();
  return {in.costModel, in.config->kvDtype, in.config->kvPageCache, in.config->costModelMargin,
          storedBytesPerPosition(c.nLayer, c.nHead, c.nEmbd, in.config->kvDtype)};
}

// The prompt's measured prefill and load, as samples of the cost model.
void teachCostModel(const CostGate& gate, CostModel& costModel, const PromptResult& r) {
  costModel.addPrefill(r.promptTokens, r.baselineTtftSeconds);
  const bool loaded = r.reusedTokens > 0 && r.fallbackReason.empty();
  if (loaded && r.kvPageCache == pageCacheModeName(gate.pageCache)) {
    costModel.addLoad(gate.dtype, gate.pageCache, gate.bytesPerPosition * r.reusedTokens,
                      r.kvLoadSeconds);
  }
}

}  // namespace

bool runPromptLoop(const PromptLoopInput& in, std::vector<CachedPrompt> candidates,
                   std::optional<EmbeddingIndex> index, const ExperimentCallbacks& callbacks,
                   const std::atomic<bool>* cancel, std::vector<PromptResult>& results) {
  const Model& model = *in.model;
  const ExperimentConfig& config = *in.config;
  ResidentStore& resident = *in.resident;
  const bool online = config.mode == RunMode::Online;
  ConversationBook book(model.tokenizer(), model.config().eosTokenId,
                        model.config().nPositions - (config.maxNewTokens - 1));
  const auto baselineCache = model.newCache();
  const auto recycledCache = model.newCache();
  const ArmCaches caches{baselineCache.get(), recycledCache.get()};
  const CostGate gate = costGateFor(in);
  std::optional<ReusePlanner> planner;
  bool changed = true;
  bool stopped = cancelled(cancel);
  const int total = static_cast<int>(in.test->prompts.size());
  for (int i = 0; i < total && !stopped; ++i) {
    const Prompt& prompt = in.test->prompts[static_cast<size_t>(i)];
    if (callbacks.progress) callbacks.progress({ProgressPhase::Test, i, total, prompt.id});
    PromptResult r;
    std::vector<int> tokens;
    std::string userText;
    ConversationTurnId turn;
    if (config.conversation) {
      const std::string where =
          in.test->source + ":" + std::to_string(prompt.line) + ": prompt '" + prompt.id + "'";
      turn = parseConversationTurnId(prompt.id, where);
      userText = lastUserTurn(prompt.text);
      ConversationBook::TurnPrompt built = book.prompt(turn, userText, where);
      tokens = std::move(built.tokens);
      r.historyDroppedTurns = built.droppedTurns;
    } else {
      tokens = (*in.testTokens)[static_cast<size_t>(i)];
    }
    if (changed) {
      planner.reset();
      if (!index) {
        index.emplace(in.embedder->dimension());
        for (const CachedPrompt& c : candidates) index->add(c.embedding);
      }
      planner.emplace(config.policy, config.minReuse, candidates, std::move(*index));
      index.reset();
      changed = false;
    }
    const std::string promptText =
        config.conversation ? text::toValidUtf8(model.tokenizer().decode(tokens)) : prompt.text;
    const ReusePlan plan = planner->plan(tokens, in.embedder->embed(promptText));
    PromptResult decided;  // the cost model's prediction and decision
    const ReusePlan gated = gateReuse(gate, plan, static_cast<int>(tokens.size()), decided);
    const std::string inUse = plan.entry >= 0 ? candidates[plan.entry].entryId : "";
    if (!inUse.empty()) resident.pin(inUse);
    const MeasurementContext context{&model, in.kvStore, in.embedder, &config, &candidates, cancel};
    const PromptResult measured = measurePrompt(context, tokens, gated, caches, stopped);
    stopped = stopped || cancelled(cancel);
    if (stopped) break;
    // Keep the fields measured above the conversation's.
    const int dropped = r.historyDroppedTurns;
    r = measured;
    r.historyDroppedTurns = dropped;
    r.costDecision = decided.costDecision;
    r.costPlannedReuse = decided.costPlannedReuse;
    r.predictedBaselineTtftSeconds = decided.predictedBaselineTtftSeconds;
    r.predictedRecycledTtftSeconds = decided.predictedRecycledTtftSeconds;
    if (r.costDecision == "decline") {
      r.declinedRecycledTtftSeconds =
          measureRecycledTtft(context, tokens, inUse, plan.reuse, *caches.recycled);
    }
    judgeCostDecision(r);
    if (in.costModel != nullptr) teachCostModel(gate, *in.costModel, r);
    r.index = i;
    r.promptId = prompt.id;
    r.promptText = promptText;
    if (config.conversation) {
      r.session = turn.session;
      r.turn = turn.turn;
    }
    if (r.reusedTokens > 0 && r.fallbackReason.empty()) {
      resident.recordHit(inUse, r.reusedTokens, r.baselineTtftSeconds - r.recycledTtftSeconds);
    }
    resident.notePrefill(r.promptTokens, r.baselineTtftSeconds);
    if (online) {
      if (static_cast<int>(tokens.size()) < config.admitMinTokens) {
        r.storeAdmission = "skipped";
      } else {
        const KVCache& sequence =
            completeSequence(model, *baselineCache, tokens, r.baselineOutputIds);
        const std::string text = text::toValidUtf8(model.tokenizer().decode(sequence.tokens()));
        const ResidentStore::Admission a = resident.admit(sequence, text);
        r.storeAdmission = a.outcome;
        if (a.entry) in.runStore->upsertCacheEntry(cacheEntryRecordOf(*a.entry));
        const bool known = a.entry && std::any_of(candidates.begin(), candidates.end(),
                                                  [&a](const CachedPrompt& c) {
                                                    return c.entryId == a.entry->entryId;
                                                  });
        if (a.entry && !known) {
          candidates.push_back(
              {prompt.id, text, a.entry->tokenIds, a.entry->entryId, in.embedder->embed(text)});
          changed = true;
        }
      }
    }
    if (!inUse.empty()) resident.unpin(inUse);
    applyStoreChanges(resident, *in.embedder, *in.runStore, candidates, changed);
    if (config.conversation) book.addReply(turn, userText, r.baselineOutputIds);
    resident.sample("prompt");
    r.storeSamples = resident.takeSamples();
    r.residentBytes = resident.residentBytes();
    if (!r.fallbackReason.empty() && callbacks.log) {
      callbacks.log("prompt '" + prompt.id + "' fell back to a full prefill: " + r.fallbackReason);
    }
    in.runStore->addPromptResult(in.runId, r);
    results.push_back(r);
    if (callbacks.promptDone) callbacks.promptDone(r);
  }
  if (callbacks.progress && !stopped) callbacks.progress({ProgressPhase::Test, total, total, ""});
  return stopped;
}

}  // namespace kvr
