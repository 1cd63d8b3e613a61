// The one table writer behind every export: each format round-trips or
// escapes what its readers would misread.
#include <QtTest>

#include <cmath>
#include <nlohmann/json.hpp>

#include "kvrecycle/prompt_set.h"
#include "kvrecycle/table_writer.h"

namespace {

const std::vector<std::string> kNasty = {
    "plain",
    "comma, inside",
    "a \"quoted\" word",
    "line\nbreak",
    "carriage\rreturn",
    "  leading and trailing  ",
    "pipe | and back\\slash",
    "latex & % $ # _ { } ~ ^",
    "Grüße 日本語 🚀",
};

kvr::Table nastyTable() {
  kvr::Table t;
  t.columns = {"id", "prompt"};
  for (size_t i = 0; i < kNasty.size(); ++i) {
    t.rows.push_back({std::string("p") + std::to_string(i), kNasty[i]});
  }
  return t;
}

}  // namespace

class TestTableWriter : public QObject {
  Q_OBJECT

 private slots:
  // CSV read back by kvrecycle's own strict RFC 4180 reader: every text survives.
  void csvRoundTrips() {
    const std::string csv = kvr::writeTable(nastyTable(), kvr::TableFormat::Csv);
    const kvr::PromptSet back = kvr::parsePromptCsv(std::string_view(csv), "written.csv");
    QCOMPARE(back.prompts.size(), kNasty.size());
    for (size_t i = 0; i < kNasty.size(); ++i) QCOMPARE(back.prompts[i].text, kNasty[i]);
  }

  void jsonKeepsTypes() {
    kvr::Table t;
    t.columns = {"n", "x", "missing", "text", "ids", "nan"};
    t.rows.push_back(
        {int64_t{7}, 0.1, {}, std::string("a\"b"), std::vector<int>{1, 2}, std::nan("")});
    const auto j = nlohmann::json::parse(kvr::writeTable(t, kvr::TableFormat::Json));
    QVERIFY(j.is_array());
    QCOMPARE(j[0]["n"].get<int>(), 7);
    QCOMPARE(j[0]["x"].get<double>(), 0.1);  // full precision
    QVERIFY(j[0]["missing"].is_null());
    QCOMPARE(j[0]["text"].get<std::string>(), std::string("a\"b"));
    QCOMPARE(j[0]["ids"].get<std::vector<int>>(), (std::vector<int>{1, 2}));
    QVERIFY(j[0]["nan"].is_null());
  }

  void csvKeepsFullPrecision() {
    kvr::Table t;
    t.columns = {"x"};
    t.rows.push_back({0.1 + 0.2});
    const std::string csv = kvr::writeTable(t, kvr::TableFormat::Csv);
    const std::string value = csv.substr(csv.find('\n') + 1, csv.rfind('\n') - csv.find('\n') - 1);
    QCOMPARE(std::stod(value), 0.1 + 0.2);
  }

  void markdownEscapesPipesAndBreaks() {
    const std::string md = kvr::writeTable(nastyTable(), kvr::TableFormat::Markdown);
    // Header, separator and one line per row: no line break leaked from a cell.
    QCOMPARE(static_cast<size_t>(std::count(md.begin(), md.end(), '\n')), kNasty.size() + 2);
    QVERIFY(md.find("pipe \\| and back\\slash") != std::string::npos);
  }

  void latexEscapesEverySpecial() {
    const std::string tex = kvr::writeTable(nastyTable(), kvr::TableFormat::Latex);
    QVERIFY(tex.find("latex \\& \\% \\$ \\# \\_ \\{ \\} \\textasciitilde{} \\textasciicircum{}") !=
            std::string::npos);
    QVERIFY(tex.find("back\\textbackslash{}slash") != std::string::npos);
    QVERIFY(tex.find("\\\\slash") == std::string::npos);  // never a LaTeX line break
    QVERIFY(tex.find("\\begin{tabular}{lr}") != std::string::npos);
    QVERIFY(tex.find("\\bottomrule") != std::string::npos);
  }

  void refusesUnknownFormatsAndRaggedRows() {
    QVERIFY_THROWS_EXCEPTION(std::exception, kvr::parseTableFormat("xlsx"));
    kvr::Table t;
    t.columns = {"a", "b"};
    t.rows.push_back({int64_t{1}});
    QVERIFY_THROWS_EXCEPTION(std::exception, kvr::writeTable(t, kvr::TableFormat::Csv));
  }
};

QTEST_GUILESS_MAIN(TestTableWriter)
#include "test_table_writer.moc"
