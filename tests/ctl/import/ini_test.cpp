// The supervisord INI reader: configparser's rules, quirks included.
#include <catch2/catch.hpp>

#include "ctl/import/ini.h"

using namespace sup::ctl::import;

namespace {

IniDocument Parse(std::string_view text) {
  IniDocument doc;
  ParseIni(text, "s.conf", doc);
  return doc;
}

std::string Value(const IniDocument& doc, const std::string& section, const std::string& key) {
  const IniSection* s = doc.Find(section);
  REQUIRE(s != nullptr);
  const IniEntry* e = s->Find(key);
  REQUIRE(e != nullptr);
  return e->value;
}

}  // namespace

TEST_CASE("IniReader: key = value and key: value -> entries with their lines", "[ctl][import]") {
  auto doc = Parse("; a comment\n[program:web]\ncommand = /bin/web\nPriority: 5\n\n[group:g]\nprograms=web\n");
  REQUIRE(doc.errors.empty());
  REQUIRE(doc.sections.size() == 2);
  CHECK(doc.sections[0].name == "program:web");
  CHECK(doc.sections[0].line == 2);
  CHECK(Value(doc, "program:web", "command") == "/bin/web");
  CHECK(Value(doc, "program:web", "priority") == "5");  // keys are lower-cased
  CHECK(doc.Find("program:web")->Find("priority")->line == 4);
  CHECK(doc.Find("program:web")->Find("priority")->file == "s.conf");
  CHECK(Value(doc, "group:g", "programs") == "web");
}

TEST_CASE("IniReader: inline comment markers need whitespace before them -> else part of the value", "[ctl][import]") {
  auto doc = Parse("[x]\na = one ; comment\nb = two;three\nc = four # comment\nd = five#six\n# whole line\n");
  REQUIRE(doc.errors.empty());
  CHECK(Value(doc, "x", "a") == "one");
  CHECK(Value(doc, "x", "b") == "two;three");
  CHECK(Value(doc, "x", "c") == "four");
  CHECK(Value(doc, "x", "d") == "five#six");
}

TEST_CASE("IniReader: configparser's round-by-round comment search -> the same cut", "[ctl][import]") {
  // Round 1 finds ';' (not after a space) and '#' at 11 (after one): the cut is there, even
  // though the second ';' at 9 would come earlier.
  auto doc = Parse("[x]\nk=a;b ; c #d\n");
  CHECK(Value(doc, "x", "k") == "a;b ; c");
}

TEST_CASE("IniReader: indented lines continue a value -> joined with newlines", "[ctl][import]") {
  auto doc = Parse("[x]\nfiles = a.conf\n  b.conf\n\n  c.conf\n; comment\n  d.conf\nnext = 1\n");
  REQUIRE(doc.errors.empty());
  CHECK(Value(doc, "x", "files") == "a.conf\nb.conf\n\nc.conf\nd.conf");
  CHECK(Value(doc, "x", "next") == "1");
}

TEST_CASE("IniReader: trailing blank lines and CRLF line ends -> dropped", "[ctl][import]") {
  auto doc = Parse("[x]\r\nk = v\r\n\r\n\r\n[y]\r\nz = w\r\n");
  REQUIRE(doc.errors.empty());
  CHECK(Value(doc, "x", "k") == "v");
  CHECK(Value(doc, "y", "z") == "w");
}

TEST_CASE("IniReader: a repeated section or key -> merged, the later value wins", "[ctl][import]") {
  auto doc = Parse("[x]\na = 1\nb = 2\n[y]\n[x]\na = 3\n");
  REQUIRE(doc.sections.size() == 2);
  CHECK(Value(doc, "x", "a") == "3");
  CHECK(doc.Find("x")->Find("a")->line == 6);
  CHECK(Value(doc, "x", "b") == "2");
  CHECK(doc.Find("x")->entries.size() == 2);
}

TEST_CASE("IniReader: an empty value and a value with '=' -> kept as written", "[ctl][import]") {
  auto doc = Parse("[x]\nempty =\nenv = A=1,B=2\nurl = unix:///tmp/s.sock\n");
  CHECK(Value(doc, "x", "empty") == "");
  CHECK(Value(doc, "x", "env") == "A=1,B=2");
  CHECK(Value(doc, "x", "url") == "unix:///tmp/s.sock");  // the first delimiter splits: key "url"
}

TEST_CASE("IniReader: a key before any section or a line without '=' -> errors with lines", "[ctl][import]") {
  auto doc = Parse("orphan = 1\n[x]\njust words\n= value\nok = 1\n");
  REQUIRE(doc.errors.size() == 3);
  CHECK(doc.errors[0].line == 1);
  CHECK(doc.errors[1].line == 3);
  CHECK(doc.errors[2].line == 4);
  CHECK(doc.errors[2].file == "s.conf");
  CHECK(Value(doc, "x", "ok") == "1");
}

TEST_CASE("IniReader: a second file parsed into the document -> its sections merge in", "[ctl][import]") {
  IniDocument doc;
  ParseIni("[program:a]\ncommand = /bin/a\n", "main.conf", doc);
  ParseIni("[program:a]\ncommand = /bin/b\n[program:c]\ncommand = /bin/c\n", "more.conf", doc);
  CHECK(Value(doc, "program:a", "command") == "/bin/b");
  CHECK(doc.Find("program:a")->Find("command")->file == "more.conf");
  CHECK(doc.Find("program:a")->file == "main.conf");
  CHECK(doc.Find("program:c")->file == "more.conf");
}
