// merge: run databases (a sweep's shards) into one, idempotently.
#include <algorithm>
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/run_merge.h"
#include "kvrecycle/run_store.h"

namespace kvr::cli {
namespace {

// A folder stands for the *.sqlite files in it, sorted.
std::vector<std::filesystem::path> databases(const std::vector<std::string>& arguments) {
  std::vector<std::filesystem::path> out;
  for (const std::string& a : arguments) {
    if (!std::filesystem::is_directory(a)) {
      out.emplace_back(a);
      continue;
    }
    std::vector<std::filesystem::path> inFolder;
    for (const auto& entry : std::filesystem::directory_iterator(a)) {
      if (entry.path().extension() == ".sqlite") inFolder.push_back(entry.path());
    }
    std::sort(inFolder.begin(), inFolder.end());
    out.insert(out.end(), inFolder.begin(), inFolder.end());
  }
  return out;
}

}  // namespace

void registerMerge(CLI::App& app, Action& action) {
  struct Args {
    std::string into;
    std::vector<std::string> sources;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Merge run databases (sweep shards) into one; merging twice adds nothing");
  cmd->add_option("--into", args->into, "Run store to merge into (created if missing)")->required();
  cmd->add_option("sources", args->sources, "Databases, or folders of *.sqlite shards")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->callback([args, &action] {
    action = [args] {
      const auto sources = databases(args->sources);
      RunStore target(args->into);
      MergeReport total;
      for (const auto& source : sources) {
        if (std::filesystem::equivalent(source, args->into)) {
          throw UsageError(source.string() + " is the database merged into");
        }
        const RunStore shard(source, /*readOnly=*/true);
        const MergeReport r = mergeRuns(target, shard);
        std::cerr << "merge: " << source.string() << ": " << r.copied << " copied, "
                  << r.alreadyPresent << " already present"
                  << (r.notCompleted > 0 ? ", " + std::to_string(r.notCompleted) + " not completed"
                                         : "")
                  << std::endl;
        for (const std::string& note : r.notes) {
          std::cerr << "merge:   " << note << std::endl;
        }
        total.copied += r.copied;
        total.alreadyPresent += r.alreadyPresent;
        total.notCompleted += r.notCompleted;
      }
      nlohmann::ordered_json line;
      line["into"] = args->into;
      line["sources"] = sources.size();
      line["copied"] = total.copied;
      line["already_present"] = total.alreadyPresent;
      line["not_completed"] = total.notCompleted;
      printJson(line);
      return 0;
    };
  });
}

}  // namespace kvr::cli
