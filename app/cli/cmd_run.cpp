// run: the experiment, stored in SQLite; prints the study's table plus
// exactness, and a final JSON line for scripts.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/model.h"
#include "kvrecycle/run_export.h"
#include "kvrecycle/run_store.h"
#include "run_options.h"

namespace kvr::cli {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream ss;
  ss << std::fixed << std::setprecision(digits) << v;
  return ss.str();
}

void printPromptLine(const PromptResult& r) {
  std::cout << "  [" << r.index + 1 << "] " << r.promptId << ": m=" << r.promptTokens
            << " k=" << r.reusedTokens << " ttft " << fixed(r.baselineTtftSeconds, 4) << " -> "
            << fixed(r.recycledTtftSeconds, 4) << " s (TTFT speedup " << fixed(r.ttftSpeedup, 2)
            << " x), total " << fixed(r.baselineTotalSeconds, 4) << " -> "
            << fixed(r.recycledTotalSeconds, 4) << " s (end-to-end " << fixed(r.speedupPct, 1)
            << " %), " << (r.storeAdmission.empty() ? "" : "store: " + r.storeAdmission + ", ")
            << (r.historyDroppedTurns > 0
                    ? std::to_string(r.historyDroppedTurns) + " oldest turns dropped, "
                    : "")
            << (!r.exactnessTested() ? "exactness not tested (k=0)"
                : r.exactMatch
                    ? "exact"
                    : "NOT EXACT (first divergence at " + std::to_string(r.firstDivergence) + ")")
            << (r.fallbackReason.empty() ? "" : ", fallback: " + r.fallbackReason)
            << (r.costDecision.empty()
                    ? ""
                    : ", cost model: " + r.costDecision +
                          " k=" + std::to_string(r.costPlannedReuse) + " (predicted " +
                          fixed(r.predictedBaselineTtftSeconds, 4) + " -> " +
                          fixed(r.predictedRecycledTtftSeconds, 4) + " s, measured " +
                          fixed(r.baselineTtftSeconds, 4) + " -> " +
                          fixed(r.measuredRecycledPathTtftSeconds(), 4) + " s, " +
                          (r.costModelRight ? "right" : "wrong") + ")")
            << (r.noisy ? ", NOISY: " + r.noiseReason : "") << std::endl;
}

}  // namespace

void registerRun(CLI::App& app, Action& action) {
  struct Args {
    RunOptions run;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run", "Run a baseline vs recycled experiment");
  addRunOptions(*cmd, args->run);
  cmd->add_flag("--quiet", args->quiet, "Only the summary");
  cmd->callback([args, &action] {
    action = [args] {
      const RunOptions& run = args->run;
      const ExperimentConfig config = experimentConfig(run);
      PromptSet cache;  // online runs may start from an empty store
      cache.source = "(no cache prompts)";
      if (!run.cachePrompts.empty()) cache = readPromptCsv(run.cachePrompts);
      const PromptSet test = readPromptCsv(run.testPrompts);
      const std::filesystem::path db = run.db;
      const auto model = loadModel(run.model);
      RunStore store(db);

      ExperimentCallbacks callbacks;
      callbacks.log = [](const std::string& line) { std::cerr << "run: " << line << std::endl; };
      if (!args->quiet) {
        callbacks.progress = [](const ExperimentProgress& p) {
          if (p.done < p.total) {
            std::cerr << "run: " << progressPhaseName(p.phase) << " " << p.done + 1 << "/"
                      << p.total << " " << p.detail << std::endl;
          }
        };
        callbacks.promptDone = printPromptLine;
      }
      // Ctrl-C cancels cleanly: completed results stay stored, the run is marked cancelled.
      const ExperimentOutcome outcome =
          runExperiment(*model, cache, test, config, store, callbacks, cancelOnSignals());

      std::cout << "\nRun " << outcome.runId << " (" << runStatusName(outcome.status) << "), model "
                << model->directory().string() << ", policy " << reusePolicyName(config.policy)
                << "\n";
      if (model->config().synthetic) std::cout << "note: " << kSyntheticNote << "\n";
      if (outcome.summary.noisyPrompts * 5 > outcome.summary.prompts) {
        std::cout << "warning: " << outcome.summary.noisyPrompts << " of "
                  << outcome.summary.prompts
                  << " prompts were noisy: the machine was busy during the run. Rerun on a "
                     "quiet machine, or with more --repeats and --max-remeasure.\n";
      }
      std::cout << "\n" << summaryMarkdown(outcome.summary) << std::endl;
      nlohmann::ordered_json line = nlohmann::ordered_json::parse(summaryToJson(outcome.summary));
      const auto runConfig = nlohmann::json::parse(store.findRun(outcome.runId)->configJson);
      line["mode"] = runModeName(config.mode);
      line["store_budget_bytes"] = runConfig.value("store_budget_bytes", int64_t{0});
      line["eviction"] = evictionPolicyName(config.eviction);
      line["kv_dtype"] = kvDtypeName(config.kvDtype);
      line["cost_model"] = config.costModel ? "on" : "off";
      line["run_id"] = outcome.runId;
      line["status"] = runStatusName(outcome.status);
      printJson(line);
      if (outcome.status != RunStatus::Completed) {
        std::cerr << "error: run " << outcome.runId << " was " << runStatusName(outcome.status)
                  << "; its completed results are stored in " << db.string() << std::endl;
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace kvr::cli
