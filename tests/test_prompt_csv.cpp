// Prompt sets from CSV: RFC 4180 parsing, header rules, exact error positions,
// streaming across buffer boundaries, the atomic writer and prompt templates.
#include <QTemporaryDir>
#include <QtTest>

#include <sstream>
#include <string>
#include <string_view>

#include "kvrecycle/error.h"
#include "kvrecycle/prompt_set.h"
#include "test_support.h"

namespace {

std::string_view view(const QByteArray& bytes) {
  return std::string_view(bytes.constData(), static_cast<size_t>(bytes.size()));
}

QStringList ids(const kvr::PromptSet& set) {
  QStringList out;
  for (const auto& p : set.prompts) out << QString::fromStdString(p.id);
  return out;
}

QStringList texts(const kvr::PromptSet& set) {
  QStringList out;
  for (const auto& p : set.prompts) out << QString::fromStdString(p.text);
  return out;
}

QList<int> lines(const kvr::PromptSet& set) {
  QList<int> out;
  for (const auto& p : set.prompts) out << p.line;
  return out;
}

// The message of the kvr::Error thrown by `f`, or a null string if none was thrown.
template <typename F>
QString errorOf(F&& f) {
  try {
    f();
  } catch (const kvr::Error& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestPromptCsv : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::filesystem::path path(const char* name) { return dir_.filePath(name).toStdString(); }

 private slots:
  void parsesValidFiles_data() {
    QTest::addColumn<QByteArray>("csv");
    QTest::addColumn<QStringList>("ids");
    QTest::addColumn<QStringList>("texts");
    QTest::addColumn<QList<int>>("lines");

    QTest::newRow("quoted commas")
        << QByteArray("id,prompt\n1,\"a, b\"\n2,plain\n") << QStringList{"1", "2"}
        << QStringList{"a, b", "plain"} << QList<int>{2, 3};
    QTest::newRow("doubled quotes")
        << QByteArray("prompt\n\"say \"\"hi\"\"\"\n\"\"\"\"\n") << QStringList{"1", "2"}
        << QStringList{"say \"hi\"", "\""} << QList<int>{2, 3};
    QTest::newRow("embedded LF") << QByteArray("prompt,id\n\"line1\nline2\",a\nnext,b\n")
                                 << QStringList{"a", "b"} << QStringList{"line1\nline2", "next"}
                                 << QList<int>{2, 4};
    QTest::newRow("embedded CRLF")
        << QByteArray("prompt\r\n\"x\r\ny\"\r\nz\r\n") << QStringList{"1", "2"}
        << QStringList{"x\r\ny", "z"} << QList<int>{2, 4};
    QTest::newRow("BOM with header") << QByteArray("\xEF\xBB\xBFprompt\nhello\n")
                                     << QStringList{"1"} << QStringList{"hello"} << QList<int>{2};
    QTest::newRow("BOM headerless")
        << QByteArray("\xEF\xBB\xBFhello\nworld") << QStringList{"1", "2"}
        << QStringList{"hello", "world"} << QList<int>{1, 2};
    QTest::newRow("CRLF records") << QByteArray("id,prompt\r\nx,one\r\ny,two\r\n")
                                  << QStringList{"x", "y"} << QStringList{"one", "two"}
                                  << QList<int>{2, 3};
    QTest::newRow("no trailing newline")
        << QByteArray("prompt\nfirst\nlast") << QStringList{"1", "2"}
        << QStringList{"first", "last"} << QList<int>{2, 3};
    QTest::newRow("no trailing newline, quoted")
        << QByteArray("prompt\n\"last, quoted\"") << QStringList{"1"} << QStringList{"last, quoted"}
        << QList<int>{2};
    QTest::newRow("Text header, spaces, extra column")
        << QByteArray(" Text ,note\nhi,x\nthere,\n") << QStringList{"1", "2"}
        << QStringList{"hi", "there"} << QList<int>{2, 3};
    QTest::newRow("prompt preferred over text")
        << QByteArray("text,PROMPT\nA,B\n") << QStringList{"1"} << QStringList{"B"}
        << QList<int>{2};
    QTest::newRow("id column") << QByteArray("ID,prompt\nq-7,alpha\n\"q,8\",beta\n")
                               << QStringList{"q-7", "q,8"} << QStringList{"alpha", "beta"}
                               << QList<int>{2, 3};
    QTest::newRow("headerless single column")
        << QByteArray("first\n\"second, with comma\"\nthird\n") << QStringList{"1", "2", "3"}
        << QStringList{"first", "second, with comma", "third"} << QList<int>{1, 2, 3};
    QTest::newRow("headerless multi-line") << QByteArray("\"a\nb\"\nc\n") << QStringList{"1", "2"}
                                           << QStringList{"a\nb", "c"} << QList<int>{1, 3};
    QTest::newRow("blank lines") << QByteArray("\n\nprompt\n\nA\n\r\n\nB\n\n")
                                 << QStringList{"1", "2"} << QStringList{"A", "B"}
                                 << QList<int>{5, 8};
    QTest::newRow("UTF-8 CJK and emoji")
        << QByteArray("id,prompt\nja,日本語のテキスト\nemo,\"emoji 😀, ok\"\nde,Ümlaut\n")
        << QStringList{"ja", "emo", "de"}
        << QStringList{QString::fromUtf8("日本語のテキスト"), QString::fromUtf8("emoji 😀, ok"),
                       QString::fromUtf8("Ümlaut")}
        << QList<int>{2, 3, 4};
    QTest::newRow("whitespace kept")
        << QByteArray("prompt\n  padded  \n\" quoted \"\n") << QStringList{"1", "2"}
        << QStringList{"  padded  ", " quoted "} << QList<int>{2, 3};
    QTest::newRow("empty quoted non-prompt field")
        << QByteArray("id,prompt,x\n1,hi,\"\"\n2,yo,\n") << QStringList{"1", "2"}
        << QStringList{"hi", "yo"} << QList<int>{2, 3};
    QTest::newRow("lone CR at end of input")
        << QByteArray("prompt\nend\r") << QStringList{"1"} << QStringList{"end"} << QList<int>{2};
  }

  void parsesValidFiles() {
    QFETCH(QByteArray, csv);
    QFETCH(QStringList, ids);
    QFETCH(QStringList, texts);
    QFETCH(QList<int>, lines);

    const kvr::PromptSet fromBytes = kvr::parsePromptCsv(view(csv), "label");
    QCOMPARE(fromBytes.source, std::string("label"));
    QCOMPARE(::ids(fromBytes), ids);
    QCOMPARE(::texts(fromBytes), texts);
    QCOMPARE(::lines(fromBytes), lines);

    std::istringstream stream(csv.toStdString());
    const kvr::PromptSet fromStream = kvr::parsePromptCsv(stream, "label");
    QCOMPARE(::ids(fromStream), ids);
    QCOMPARE(::texts(fromStream), texts);
    QCOMPARE(::lines(fromStream), lines);

    const auto p = path("valid.csv");
    kvr::test::writeBytes(p, csv);
    const kvr::PromptSet fromFile = kvr::readPromptCsv(p);
    QCOMPARE(fromFile.source, p.string());
    QCOMPARE(::ids(fromFile), ids);
    QCOMPARE(::texts(fromFile), texts);
    QCOMPARE(::lines(fromFile), lines);
  }

  void readsReferenceColumn() {
    const kvr::PromptSet set =
        kvr::parsePromptCsv(view("id,prompt,Reference\na,hi,\" there, you\"\nb,yo,\n"), "refs");
    QCOMPARE(set.prompts.size(), size_t{2});
    QCOMPARE(set.references, (std::vector<std::string>{" there, you", ""}));
    const kvr::PromptSet none = kvr::parsePromptCsv(view("prompt\nhi\n"), "none");
    QVERIFY(none.references.empty());
  }

  void rejectsBrokenFiles_data() {
    QTest::addColumn<QByteArray>("csv");
    QTest::addColumn<QString>("where");  // LINE:COLUMN
    QTest::addColumn<QString>("phrase");

    QTest::newRow("unterminated quote") << QByteArray("prompt\nok\n\"never closed\nmore\n") << "3:1"
                                        << "unterminated quoted field";
    QTest::newRow("unterminated quote, second column")
        << QByteArray("id,prompt\n1,\"abc\n") << "2:3"
        << "unterminated quoted field";
    QTest::newRow("quote in unquoted field") << QByteArray("prompt\nab\"c\n") << "2:3"
                                             << "quote inside an unquoted field";
    QTest::newRow("text after closing quote") << QByteArray("id,prompt\n1,\"abc\"x\n") << "2:8"
                                              << "after closing quote";
    QTest::newRow("space after closing quote") << QByteArray("prompt\n\"abc\" \n") << "2:6"
                                               << "after closing quote";
    QTest::newRow("ragged: too many fields") << QByteArray("id,prompt\n1,a\n2,b,c\n") << "3:5"
                                             << "expected 2 fields, found 3";
    QTest::newRow("ragged: too few fields") << QByteArray("id,prompt\n1,a\n2\n") << "3:2"
                                            << "expected 2 fields, found 1";
    QTest::newRow("ragged: headerless") << QByteArray("a\nb,c\n") << "2:3"
                                        << "expected 1 field, found 2";
    QTest::newRow("empty prompt") << QByteArray("id,prompt\n1,\n") << "2:3"
                                  << "empty prompt";
    QTest::newRow("whitespace-only prompt") << QByteArray("prompt\nok\n \t \n") << "3:1"
                                            << "empty prompt";
    QTest::newRow("empty quoted prompt, headerless") << QByteArray("a\n\"\"\n") << "2:1"
                                                     << "empty prompt";
    QTest::newRow("invalid UTF-8") << QByteArray("prompt\nab\xFFz\n") << "2:3"
                                   << "invalid UTF-8";
    QTest::newRow("invalid UTF-8 after quotes and newline")
        << QByteArray("prompt\n\"x\"\"\ny\xC3\"\n") << "3:2"
        << "invalid UTF-8";
    QTest::newRow("invalid UTF-8 after doubled quote")
        << QByteArray("id,prompt\n7,\"a\"\"\xE2\x82\"\n") << "2:7"
        << "invalid UTF-8";
    QTest::newRow("invalid UTF-8 in header") << QByteArray("\xC0\xAFprompt\nx\n") << "1:1"
                                             << "invalid UTF-8";
    QTest::newRow("invalid UTF-8 after BOM")
        << QByteArray("\xEF\xBB\xBFprompt\nok\n\xE2\x82\n") << "3:1"
        << "invalid UTF-8";
    QTest::newRow("duplicate id") << QByteArray("id,prompt\na,x\nb,y\n\"a\",z\n") << "4:1"
                                  << "duplicate id 'a' (first used on line 2)";
    QTest::newRow("empty id") << QByteArray("id,prompt\n,hi\n") << "2:1"
                              << "empty id";
    QTest::newRow("field over 1 MiB")
        << (QByteArray("id,prompt\n1,") + QByteArray((1 << 20) + 1, 'x') + "\n") << "2:3"
        << "field exceeds 1 MiB";
    QTest::newRow("quoted field over 1 MiB")
        << (QByteArray("prompt\n\"") + QByteArray((1 << 20) + 1, 'x') + "\"\n") << "2:1"
        << "field exceeds 1 MiB";
    QByteArray many;
    many.reserve(2 * 1000001);
    for (int i = 0; i < 1000001; ++i) many += "p\n";
    QTest::newRow("more than 1000000 records") << many << "1000001:1"
                                               << "more than 1000000 records";
    QTest::newRow("empty file") << QByteArray() << "1:1"
                                << "no prompts";
    QTest::newRow("BOM only") << QByteArray("\xEF\xBB\xBF") << "1:1"
                              << "no prompts";
    QTest::newRow("blank lines only") << QByteArray("\n\r\n") << "3:1"
                                      << "no prompts";
    QTest::newRow("header only") << QByteArray("id,prompt\n") << "2:1"
                                 << "no prompts";
    QTest::newRow("header only, no newline") << QByteArray("prompt") << "1:7"
                                             << "no prompts";
    QTest::newRow("missing prompt column")
        << QByteArray("id,name\n1,x\n") << "1:1"
        << "missing prompt column (expected a header named prompt or text)";
    QTest::newRow("bare carriage return") << QByteArray("prompt\rhello\n") << "1:7"
                                          << "carriage return not followed by line feed";
  }

  void rejectsBrokenFiles() {
    QFETCH(QByteArray, csv);
    QFETCH(QString, where);
    QFETCH(QString, phrase);

    const QString fromBytes = errorOf([&] { kvr::parsePromptCsv(view(csv), "src.csv"); });
    QVERIFY2(!fromBytes.isNull(), "a broken file was accepted");
    QVERIFY2(fromBytes.startsWith("src.csv:" + where + ": "), qPrintable(fromBytes));
    QVERIFY2(fromBytes.contains(phrase), qPrintable(fromBytes));

    std::istringstream stream(csv.toStdString());
    const QString fromStream = errorOf([&] { kvr::parsePromptCsv(stream, "src.csv"); });
    QCOMPARE(fromStream, fromBytes);

    const auto p = path("broken.csv");
    kvr::test::writeBytes(p, csv);
    const QString fromFile = errorOf([&] { kvr::readPromptCsv(p); });
    const QString prefix = QString::fromStdString(p.string()) + ":" + where + ": ";
    QVERIFY2(fromFile.startsWith(prefix), qPrintable(fromFile));
    QVERIFY2(fromFile.contains(phrase), qPrintable(fromFile));
  }

  void acceptsFieldOfExactly1MiB() {
    const QByteArray big((1 << 20), 'y');
    const kvr::PromptSet set = kvr::parsePromptCsv(view("prompt\n\"" + big + "\"\n"), "big");
    QCOMPARE(set.prompts.size(), size_t{1});
    QCOMPARE(set.prompts[0].text.size(), size_t{1} << 20);
  }

  // The file reader goes through a 64 KiB buffer: put every structural byte
  // (CR, LF, quotes, a UTF-8 sequence) on and around the buffer boundary.
  void streamsAcrossBufferBoundaries() {
    const QByteArray header = "prompt\r\n";
    const QByteArray tail = "\"a\r\nb\"\"c\"\r\n\xC3\xA9z\r\n";
    for (int pad = 65536 - 14; pad <= 65536 + 2; ++pad) {
      const int k = pad - header.size();
      const QByteArray csv = header + QByteArray(k, 'x') + "\r\n" + tail;
      const auto p = path("boundary.csv");
      kvr::test::writeBytes(p, csv);
      const kvr::PromptSet set = kvr::readPromptCsv(p);
      const QStringList expected{QString(k, 'x'), "a\r\nb\"c", QString::fromUtf8("\xC3\xA9z")};
      QCOMPARE(texts(set), expected);
      QCOMPARE(lines(set), (QList<int>{2, 3, 5}));
    }
  }

  // A larger file with varied records reads the same from memory and from disk,
  // and an error far into it is reported at the right line and column.
  void streamsLargeFiles() {
    QByteArray csv = "id,prompt\n";
    QStringList expectedIds;
    QStringList expectedTexts;
    QList<int> expectedLines;
    int line = 2;
    for (int i = 0; i < 20000; ++i) {
      const QByteArray id = "r" + QByteArray::number(i);
      const QByteArray eol = i % 2 ? "\r\n" : "\n";
      QByteArray text = "prompt " + QByteArray(i % 37, static_cast<char>('a' + i % 26));
      expectedIds << QString::fromLatin1(id);
      expectedLines << line;
      if (i % 3 == 0) {
        text += ", \"q\"\r\n\xE6\x97\xA5";
        csv += id + ",\"" + QByteArray(text).replace("\"", "\"\"") + "\"" + eol;
        line += 2;
      } else {
        csv += id + "," + text + eol;
        line += 1;
      }
      expectedTexts << QString::fromUtf8(text);
      if (i % 101 == 0) {
        csv += eol;  // blank line
        line += 1;
      }
    }
    const auto p = path("large.csv");
    kvr::test::writeBytes(p, csv);
    QVERIFY(csv.size() > 4 * 65536);
    const kvr::PromptSet fromMemory = kvr::parsePromptCsv(view(csv), "mem");
    const kvr::PromptSet fromFile = kvr::readPromptCsv(p);
    QCOMPARE(ids(fromMemory), expectedIds);
    QCOMPARE(texts(fromMemory), expectedTexts);
    QCOMPARE(lines(fromMemory), expectedLines);
    QCOMPARE(ids(fromFile), expectedIds);
    QCOMPARE(texts(fromFile), expectedTexts);
    QCOMPARE(lines(fromFile), expectedLines);

    kvr::test::writeBytes(p, csv + "last,\"ok\"\"x\"y\n");
    const QString message = errorOf([&] { kvr::readPromptCsv(p); });
    const QString expected = QString::fromStdString(p.string()) + ":" + QString::number(line) +
                             ":13: unexpected character after closing quote";
    QVERIFY2(message.startsWith(expected), qPrintable(message));
  }

  void roundTripsTrickyTexts() {
    kvr::PromptSet set;
    set.source = "memory";
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"plain", "Hello world"},
        {"comma", "a, b, c"},
        {"quotes", "say \"hi\" and \"\"bye\"\""},
        {"lead-quote", "\"starts with a quote"},
        {"lf", "multi\nline\n"},
        {"crlf", "crlf\r\nline"},
        {"cr", "lone\rcarriage return"},
        {"spaces", "  padded  "},
        {"utf8", "日本語のテキスト 😀 Ümlaut"},
        {"trailing-comma", "ends with comma,"},
        {"id, with \"quotes\"", "template-like {prompt}<|endoftext|>"},
        {"prompt", "text"},
    };
    for (const auto& [id, text] : rows) set.prompts.push_back({id, text, 0});
    const auto p = path("round.csv");
    kvr::writePromptCsv(p, set);

    const QByteArray bytes = kvr::test::readBytes(p);
    QVERIFY2(bytes.startsWith("id,prompt\nplain,Hello world\ncomma,\"a, b, c\"\n"),
             bytes.constData());
    QCOMPARE(QDir(dir_.path()).entryList(QDir::Files).filter(".tmp").size(), 0);

    const kvr::PromptSet back = kvr::readPromptCsv(p);
    QCOMPARE(back.source, p.string());
    QCOMPARE(back.prompts.size(), set.prompts.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      QCOMPARE(back.prompts[i].id, set.prompts[i].id);
      QCOMPARE(back.prompts[i].text, set.prompts[i].text);
      QVERIFY(i == 0 || back.prompts[i].line > back.prompts[i - 1].line);
    }
    QCOMPARE(back.prompts[0].line, 2);
  }

  void writerRefusesUnreadableSets() {
    const auto p = path("refused.csv");
    const auto expectRefused = [&](const kvr::PromptSet& set, const char* phrase) {
      const QString message = errorOf([&] { kvr::writePromptCsv(p, set); });
      QVERIFY2(message.startsWith(QString::fromStdString(p.string()) + ": "), qPrintable(message));
      QVERIFY2(message.contains(phrase), qPrintable(message));
      QVERIFY(!std::filesystem::exists(p));
    };
    expectRefused({"s", {}, {}}, "no prompts");
    expectRefused({"s", {{"a", "x", 0}, {"a", "y", 0}}, {}}, "duplicate id 'a'");
    expectRefused({"s", {{"a", " ", 0}}, {}}, "empty prompt");
    expectRefused({"s", {{"", "x", 0}}, {}}, "empty id");
    expectRefused({"s", {{"a", "bad \xFF", 0}}, {}}, "invalid UTF-8");
    QCOMPARE(QDir(dir_.path()).entryList(QDir::Files).filter("refused").size(), 0);
  }

  void missingFileNamesThePath() {
    const auto p = path("does-not-exist.csv");
    const QString message = errorOf([&] { kvr::readPromptCsv(p); });
    QVERIFY2(message.startsWith(QString::fromStdString(p.string()) + ": cannot open file"),
             qPrintable(message));
    const QString dirMessage = errorOf([&] { kvr::readPromptCsv(dir_.path().toStdString()); });
    QVERIFY2(dirMessage.contains("is a directory"), qPrintable(dirMessage));
  }

  void appliesTemplates() {
    QCOMPARE(kvr::applyPromptTemplate("{prompt}<|endoftext|>", "Hello"),
             std::string("Hello<|endoftext|>"));
    QCOMPARE(kvr::applyPromptTemplate("User: {prompt}\nBot:", "hi"), std::string("User: hi\nBot:"));
    QCOMPARE(kvr::applyPromptTemplate("{prompt}", ""), std::string());
    // The prompt text itself is never expanded.
    QCOMPARE(kvr::applyPromptTemplate("<{prompt}>", "{prompt}"), std::string("<{prompt}>"));
    kvr::validatePromptTemplate("{prompt}");
    kvr::validatePromptTemplate("a {prompt} b {promp} {prompt");
  }

  void rejectsBadTemplates_data() {
    QTest::addColumn<QString>("tmpl");
    QTest::addColumn<QString>("found");
    QTest::newRow("empty") << ""
                           << "found 0";
    QTest::newRow("no placeholder") << "plain text"
                                    << "found 0";
    QTest::newRow("wrong case") << "{Prompt}"
                                << "found 0";
    QTest::newRow("twice") << "{prompt} and {prompt}"
                           << "found 2";
    QTest::newRow("adjacent") << "{prompt}{prompt}{prompt}"
                              << "found 3";
  }

  void rejectsBadTemplates() {
    QFETCH(QString, tmpl);
    QFETCH(QString, found);
    const std::string t = tmpl.toStdString();
    const QString validate = errorOf([&] { kvr::validatePromptTemplate(t); });
    QVERIFY2(validate.contains("exactly once") && validate.contains(found), qPrintable(validate));
    const QString apply = errorOf([&] { kvr::applyPromptTemplate(t, "x"); });
    QCOMPARE(apply, validate);
  }
};

QTEST_GUILESS_MAIN(TestPromptCsv)
#include "test_prompt_csv.moc"
