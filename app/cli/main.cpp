// kvrecycle-cli: the headless twin of the workbench. Exit status: 0 success,
// 2 usage error, 1 any other error (one "error: ..." line on stderr).
#include <iostream>

#include "cli_common.h"
#include "kvrecycle/error.h"
#include "kvrecycle/version.h"

namespace {

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kvrecycle-cli: KV-cache recycling experiments, headless"};
  app.set_version_flag("--version", kvr::kVersion);
  app.require_subcommand(1);
  kvr::cli::Action action;
  kvr::cli::registerMakeModel(app, action);
  kvr::cli::registerTokenize(app, action);
  kvr::cli::registerGenerate(app, action);
  kvr::cli::registerBenchEngine(app, action);
  kvr::cli::registerLogits(app, action);
  kvr::cli::registerConvertWeights(app, action);
  kvr::cli::registerRun(app, action);
  kvr::cli::registerRuns(app, action);
  kvr::cli::registerExport(app, action);
  kvr::cli::registerBench(app, action);
  kvr::cli::registerBenchStore(app, action);
  kvr::cli::registerMakePrompts(app, action);
  kvr::cli::registerKvVerify(app, action);
  kvr::cli::registerInspectModel(app, action);
  kvr::cli::registerModels(app, action);
  kvr::cli::registerEvict(app, action);
  kvr::cli::registerSweep(app, action);
  kvr::cli::registerSweepCell(app, action);
  kvr::cli::registerMerge(app, action);
  const auto isCommand = [&app](const std::string& name) {
    return !app.get_subcommands([&name](CLI::App* sub) { return sub->get_name() == name; }).empty();
  };
  if (argc > 1 && argv[1][0] != '-' && !isCommand(argv[1])) {
    std::cerr << "error: unknown command '" << argv[1] << "'\n(run with --help for usage)"
              << std::endl;
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n(run with --help for usage)" << std::endl;
    return 2;
  }
  try {
    return action();
  } catch (const kvr::cli::UsageError& e) {
    std::cerr << "error: " << e.what() << "\n(run with --help for usage)" << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << firstLine(e.what()) << std::endl;
    return 1;
  }
}
