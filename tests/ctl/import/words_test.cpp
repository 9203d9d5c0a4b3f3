// The two shlex modes supervisord uses: command words and environment pairs.
#include <catch2/catch.hpp>

#include "ctl/import/words.h"

using namespace sup::ctl::import;

namespace {

std::vector<std::string> Words(const std::string& command, std::string* feature = nullptr) {
  SplitCommand split = SplitShlex(Text(command));
  REQUIRE(split.error.empty());
  if (feature) *feature = split.shell_feature;
  std::vector<std::string> out;
  for (const auto& w : split.words) out.push_back(PlainText(w));
  return out;
}

}  // namespace

TEST_CASE("SplitShlex: quotes and backslashes -> POSIX shlex words", "[ctl][import]") {
  using V = std::vector<std::string>;
  CHECK(Words("  /bin/app   --name 'a b'  \"c d\" e\\ f") == V{"/bin/app", "--name", "a b", "c d", "e f"});
  CHECK(Words("x \"\" ''") == V{"x", "", ""});
  CHECK(Words("say \"a \\\"q\\\" \\n\"") == V{"say", "a \"q\" \\n"});  // in "…" only \" and \\ escape
  CHECK(Words("'it'\\''s'") == V{"it's"});
  CHECK(Words("a'b'c\"d\"") == V{"abcd"});
}

TEST_CASE("SplitShlex: unterminated quotes or a trailing backslash -> errors", "[ctl][import]") {
  CHECK_FALSE(SplitShlex(Text("echo 'oops")).error.empty());
  CHECK_FALSE(SplitShlex(Text("echo \"oops")).error.empty());
  CHECK_FALSE(SplitShlex(Text("echo oops\\")).error.empty());
}

TEST_CASE("SplitShlex: shell syntax outside single quotes -> reported as a shell feature", "[ctl][import]") {
  std::string feature;
  Words("app | logger", &feature);
  CHECK(feature == "`|`");
  Words("app && other", &feature);
  CHECK(feature == "`&`");
  Words("app > /tmp/out", &feature);
  CHECK(feature == "`>`");
  Words("app $HOME", &feature);
  CHECK(feature == "`$` (a shell expansion)");
  Words("app \"${HOME}\"", &feature);
  CHECK(feature == "`$` (a shell expansion)");
  Words("app `date`", &feature);
  CHECK(feature == "a backquote");
  Words("sh -c 'a | b && $c'", &feature);
  CHECK(feature.empty());
  Words("app \\| cost$ 'x;y'", &feature);
  CHECK(feature.empty());
}

TEST_CASE("SplitShlex: a reference inside a word -> stays in that word", "[ctl][import]") {
  Template t = Text("app --port=80");
  t.push_back(Piece{Piece::Kind::kProcessNum, "", "d"});
  AppendText(t, " 'x y'");
  SplitCommand split = SplitShlex(t);
  REQUIRE(split.words.size() == 3);
  CHECK(split.words[1].size() == 2);
  CHECK(split.words[1][1].kind == Piece::Kind::kProcessNum);
  CHECK(PlainText(split.words[2]) == "x y");
}

TEST_CASE("ParseEnvPairs: KEY=VALUE pairs -> in order, quotes removed", "[ctl][import]") {
  EnvPairs env = ParseEnvPairs(Text("A=1,B=\"two, three\",PATH=/usr/bin:/bin,C='x y',A=again"));
  REQUIRE(env.error.empty());
  REQUIRE(env.pairs.size() == 4);
  CHECK(env.pairs[0].first == "A");
  CHECK(PlainText(env.pairs[0].second) == "again");
  CHECK(PlainText(env.pairs[1].second) == "two, three");
  CHECK(PlainText(env.pairs[2].second) == "/usr/bin:/bin");
  CHECK(PlainText(env.pairs[3].second) == "x y");
  CHECK(env.skipped.empty());
}

TEST_CASE("ParseEnvPairs: an unquoted space -> the extra word skipped and reported", "[ctl][import]") {
  EnvPairs env = ParseEnvPairs(Text("A=hello world"));
  REQUIRE(env.error.empty());
  CHECK(env.skipped == std::vector<std::string>{"world"});
  REQUIRE(env.pairs.size() == 1);
  CHECK(PlainText(env.pairs[0].second) == "hello");
  // With more pairs after it, the ',' lands where a key belongs: supervisord refuses that.
  CHECK_FALSE(ParseEnvPairs(Text("A=hello world,B=2")).error.empty());
}

TEST_CASE("ParseEnvPairs: no '=' or an open quote -> an error", "[ctl][import]") {
  CHECK_FALSE(ParseEnvPairs(Text("JUSTAKEY")).error.empty());
  CHECK_FALSE(ParseEnvPairs(Text("A=\"open")).error.empty());
  CHECK(ParseEnvPairs(Text("")).pairs.empty());
}
