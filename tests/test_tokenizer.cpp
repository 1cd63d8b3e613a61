// The GPT-2 tokenizer must give the reference tokenizer's ids for any text.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

#include "kvrecycle/error.h"
#include "kvrecycle/tokenizer.h"
#include "test_support.h"

using kvr::Gpt2Tokenizer;

class TestTokenizer : public QObject {
  Q_OBJECT
  std::unique_ptr<Gpt2Tokenizer> tok_;

 private slots:
  void initTestCase() { tok_ = Gpt2Tokenizer::load(kvr::test::tinyModel()); }

  void knownIds_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("ids");
    QTest::newRow("hello world") << "Hello world" << QList<int>{15496, 995};
    QTest::newRow("end of text") << "<|endoftext|>" << QList<int>{50256};
    QTest::newRow("single space") << " " << QList<int>{220};
    QTest::newRow("empty") << "" << QList<int>{};
  }
  void knownIds() {
    QFETCH(QString, text);
    QFETCH(QList<int>, ids);
    const std::vector<int> got = tok_->encode(text.toStdString());
    QCOMPARE(QList<int>(got.begin(), got.end()), ids);
  }

  // Golden ids from tests/tools/gpt2_reference_tokenizer.py (Python regex + encoder.py BPE):
  // contractions, digits, punctuation runs, space/tab/newline runs, accents, CJK, emoji.
  void matchesReferenceTokenizer() {
    const QJsonArray cases =
        QJsonDocument::fromJson(kvr::test::readBytes(kvr::test::dataFile("tokenizer_cases.json")))
            .array();
    QVERIFY(cases.size() >= 40);
    for (const auto& value : cases) {
      const QJsonObject c = value.toObject();
      const std::string text = c["text"].toString().toStdString();
      std::vector<int> expected;
      for (const auto& id : c["ids"].toArray()) expected.push_back(id.toInt());
      const std::vector<int> got = tok_->encode(text);
      if (got != expected) {
        QFAIL(qPrintable(QStringLiteral("ids differ for %1").arg(c["text"].toString())));
      }
      QCOMPARE(tok_->decode(got), text);
    }
  }

  void roundTripsRandomText() {
    std::mt19937 rng(42);
    // Code points from ASCII, Latin-1, Greek, CJK, emoji and combining marks.
    const std::vector<std::pair<char32_t, char32_t>> ranges = {
        {0x20, 0x7E},     {0x09, 0x0D},       {0xA0, 0xFF},   {0x370, 0x3FF},
        {0x4E00, 0x4FFF}, {0x1F600, 0x1F64F}, {0x300, 0x36F}, {0x2000, 0x206F}};
    for (int n = 0; n < 300; ++n) {
      std::u32string s;
      const int len = std::uniform_int_distribution<int>(0, 60)(rng);
      for (int i = 0; i < len; ++i) {
        const auto& r = ranges[std::uniform_int_distribution<size_t>(0, ranges.size() - 1)(rng)];
        s += static_cast<char32_t>(std::uniform_int_distribution<uint32_t>(r.first, r.second)(rng));
      }
      const std::string text =
          QString::fromUcs4(s.data(), static_cast<int>(s.size())).toStdString();
      QCOMPARE(tok_->decode(tok_->encode(text)), text);
    }
  }

  void specialTokenSplitsText() {
    const std::vector<int> ids = tok_->encode("Hi<|endoftext|>there");
    QCOMPARE(ids, (std::vector<int>{17250, 50256, 8117}));
    QCOMPARE(tok_->endOfTextId(), 50256);
    QCOMPARE(tok_->vocabSize(), 50257);
  }

  void rejectsInvalidUtf8_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("offset");
    QTest::newRow("lone continuation") << QByteArray("ab\x80") << 2;
    QTest::newRow("truncated sequence") << QByteArray("abc\xc3") << 3;
    QTest::newRow("overlong slash") << QByteArray("\xc0\xaf") << 0;
    QTest::newRow("surrogate") << QByteArray("x\xed\xa0\x80") << 1;
    QTest::newRow("beyond U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << 0;
    QTest::newRow("0xff") << QByteArray("ok \xff") << 3;
  }
  void rejectsInvalidUtf8() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, offset);
    try {
      tok_->encode(bytes.toStdString());
      QFAIL("invalid UTF-8 was accepted");
    } catch (const kvr::Error& e) {
      QCOMPARE(QString(e.what()), QStringLiteral("invalid UTF-8 at byte offset %1").arg(offset));
    }
  }

  void rejectsUnknownIdOnDecode() {
    QVERIFY_THROWS_EXCEPTION(kvr::Error, tok_->decode({15496, 50257}));
    QVERIFY_THROWS_EXCEPTION(kvr::Error, tok_->decode({-1}));
  }

  void loadsNpmFileNames() {
    QTemporaryDir dir;
    const std::filesystem::path d = dir.path().toStdString();
    std::filesystem::copy_file(kvr::test::tinyModel() / "vocab.json", d / "encoder.json");
    std::filesystem::copy_file(kvr::test::tinyModel() / "merges.txt", d / "vocab.bpe");
    const auto npm = Gpt2Tokenizer::load(d);
    QCOMPARE(npm->encode("Hello world"), (std::vector<int>{15496, 995}));
  }

  void reportsBrokenFiles() {
    QTemporaryDir dir;
    const std::filesystem::path d = dir.path().toStdString();
    try {
      Gpt2Tokenizer::load(d);
      QFAIL("an empty directory loaded");
    } catch (const kvr::Error& e) {
      QVERIFY(QString(e.what()).contains(dir.path()));
    }
    std::filesystem::copy_file(kvr::test::tinyModel() / "vocab.json", d / "vocab.json");
    kvr::test::writeBytes(d / "merges.txt", "#version: 0.2\nh e\nthis line is bad\n");
    try {
      Gpt2Tokenizer::load(d);
      QFAIL("a broken merges.txt loaded");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains("merges.txt:3"), e.what());
    }
    kvr::test::writeBytes(d / "vocab.json", "{\"a\": 0,");
    try {
      Gpt2Tokenizer::load(d);
      QFAIL("a truncated vocab.json loaded");
    } catch (const kvr::Error& e) {
      QVERIFY2(QString(e.what()).contains("vocab.json"), e.what());
    }
  }

  void longWordsFinish() {
    std::string word;
    std::mt19937 rng(1);
    for (int i = 0; i < 3000; ++i) word += static_cast<char>('a' + rng() % 26);
    const std::vector<int> ids = tok_->encode(word);
    QVERIFY(ids.size() > 100);
    QCOMPARE(tok_->decode(ids), word);
  }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
