// runs and export: read the run store.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli_common.h"
#include "kvrecycle/atomic_write.h"
#include "kvrecycle/error.h"
#include "kvrecycle/experiment.h"
#include "kvrecycle/run_export.h"
#include "kvrecycle/run_store.h"

namespace kvr::cli {

void registerRuns(CLI::App& app, Action& action) {
  struct Args {
    std::string db;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("runs", "List the runs in a run store");
  cmd->add_option("--db", args->db, "SQLite run store")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", args->json, "One JSON array instead of a table");
  cmd->callback([args, &action] {
    action = [args] {
      const RunStore store(args->db, /*readOnly=*/true);
      const std::vector<RunRecord> runs = store.listRuns();
      if (args->json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const RunRecord& r : runs) {
          nlohmann::ordered_json j = nlohmann::ordered_json::parse(runRecordJson(r));
          j["summary"] =
              r.kind == RunKind::Eviction
                  ? nlohmann::ordered_json::parse(r.summaryJson.empty() ? "{}" : r.summaryJson)
                  : nlohmann::ordered_json::parse(summaryToJson(summaryFromJson(r.summaryJson)));
          out.push_back(j);
        }
        printJson(out);
        return 0;
      }
      std::cout << std::left << std::setw(6) << "id" << std::setw(12) << "status" << std::setw(22)
                << "created" << std::setw(9) << "prompts" << std::setw(8) << "exact"
                << std::setw(11) << "speedup%"
                << "name"
                << "\n";
      for (const RunRecord& r : runs) {
        if (r.kind == RunKind::Eviction) {
          std::cout << std::left << std::setw(6) << r.id << std::setw(12) << runStatusName(r.status)
                    << std::setw(22) << r.createdAt << std::setw(9) << r.plannedPrompts
                    << std::setw(19) << "(eviction run)" << r.name << "\n";
          continue;
        }
        const RunSummary s = summaryFromJson(r.summaryJson);
        // "2/7" for a run that stopped part-way.
        const std::string prompts =
            std::to_string(s.prompts) +
            (s.plannedPrompts > s.prompts ? "/" + std::to_string(s.plannedPrompts) : "");
        std::ostringstream exact;
        if (s.reusedPrompts > 0) {
          exact << std::setprecision(3) << s.exactMatchRate;
        } else {
          exact << "-";
        }
        std::cout << std::left << std::setw(6) << r.id << std::setw(12) << runStatusName(r.status)
                  << std::setw(22) << r.createdAt << std::setw(9) << prompts << std::setw(8)
                  << exact.str() << std::setw(11) << std::setprecision(3) << s.avgSpeedupPct
                  << r.name << "\n";
      }
      return 0;
    };
  });
}

void registerExport(CLI::App& app, Action& action) {
  struct Args {
    std::string db, format, out;
    int64_t run = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("export", "Export a run's results as a table");
  cmd->add_option("--db", args->db, "SQLite run store")->required()->check(CLI::ExistingFile);
  cmd->add_option("--run", args->run, "Run id")->required();
  cmd->add_option("--format", args->format, "csv, md, json or tex")
      ->required()
      ->check(CLI::IsMember({"csv", "md", "json", "tex"}));
  cmd->add_option("--out", args->out, "Output file")->required();
  cmd->callback([args, &action] {
    action = [args] {
      const RunStore store(args->db, /*readOnly=*/true);
      const auto run = store.findRun(args->run);
      if (!run) throw Error(args->db + ": run " + std::to_string(args->run) + " does not exist");
      const TableFormat format = parseTableFormat(args->format);
      const std::string text =
          run->kind == RunKind::Eviction
              ? exportEvictionRun(*run, store.evictionResults(args->run), format)
              : exportRun(*run, store.promptResults(args->run), format);
      writeFileAtomically(args->out, text);
      printJson({{"run", args->run}, {"format", args->format}, {"out", args->out}});
      return 0;
    };
  });
}

}  // namespace kvr::cli
