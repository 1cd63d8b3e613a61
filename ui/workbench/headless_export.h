#pragma once
// `kvrecycle export-charts --db FILE --run ID --out DIR [--size WxH]`: every
// chart of a stored run as PNG, PDF and SVG, without a window.
namespace kvr::ui {

// Parses the arguments after "export-charts"; returns the process exit status
// (0 ok, 1 error, 2 usage) after printing the written files or one "error:" line.
int runHeadlessChartExport(int argc, char** argv);

}  // namespace kvr::ui
