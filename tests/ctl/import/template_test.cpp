// supervisord's %(name)s expansions and Python's % formatting of process_num.
#include <catch2/catch.hpp>

#include "ctl/import/template.h"

using namespace sup::ctl::import;

namespace {

const sup::conf::Environment kEnv{{"HOME", "/root"}};

Scope MakeScope(bool process_num = true) {
  Scope s;
  s.names["program_name"] = Text("web");
  s.names["here"] = Text("/etc/supervisor");
  s.names["numprocs"] = Text("4");
  s.env = &kEnv;
  s.allow_process_num = process_num;
  return s;
}

}  // namespace

TEST_CASE("Interpolate: known names -> their text, %% -> %", "[ctl][import]") {
  auto x = Interpolate("%(here)s/%(program_name)s.py 100%%", MakeScope());
  REQUIRE(x.error.empty());
  CHECK(x.value == Text("/etc/supervisor/web.py 100%"));
}

TEST_CASE("Interpolate: ENV_X and process_num -> references kept for sup", "[ctl][import]") {
  auto x = Interpolate("%(ENV_HOME)s/w%(process_num)02d", MakeScope());
  REQUIRE(x.error.empty());
  REQUIRE(x.value.size() == 3);
  CHECK(x.value[0] == Piece{Piece::Kind::kEnv, "HOME", ""});
  CHECK(x.value[1] == Piece{Piece::Kind::kText, "/w", ""});
  CHECK(x.value[2] == Piece{Piece::Kind::kProcessNum, "", "02d"});
  CHECK(UsesProcessNum(x.value));
  CHECK(HasReferences(x.value));
}

TEST_CASE("Interpolate: a width on a known name -> Python's padding", "[ctl][import]") {
  CHECK(Interpolate("[%(program_name)5s]", MakeScope()).value == Text("[  web]"));
  CHECK(Interpolate("[%(program_name)-5s]", MakeScope()).value == Text("[web  ]"));
  CHECK(Interpolate("[%(numprocs)03d]", MakeScope()).value == Text("[004]"));
}

TEST_CASE("Interpolate: unknown names, a bare % or a bad conversion -> errors", "[ctl][import]") {
  CHECK_FALSE(Interpolate("%(nope)s", MakeScope()).error.empty());
  CHECK_FALSE(Interpolate("50%", MakeScope()).error.empty());
  CHECK_FALSE(Interpolate("%(here)", MakeScope()).error.empty());
  CHECK_FALSE(Interpolate("%(here", MakeScope()).error.empty());
  CHECK_FALSE(Interpolate("%(process_num)d", MakeScope(false)).error.empty());
  CHECK_FALSE(Interpolate("%(ENV_HOME)d", MakeScope()).error.empty());  // a string cannot be %d
}

TEST_CASE("FormatInt: Python's %-conversions of an integer -> the same text", "[ctl][import]") {
  auto fmt = [](long long v, const char* f) {
    std::string out;
    REQUIRE(FormatInt(v, f, out));
    return out;
  };
  CHECK(fmt(3, "d") == "3");
  CHECK(fmt(3, "02d") == "03");
  CHECK(fmt(123, "02d") == "123");
  CHECK(fmt(-5, "03d") == "-05");
  CHECK(fmt(7, "3d") == "  7");
  CHECK(fmt(7, "-3d") == "7  ");
  CHECK(fmt(7, "+d") == "+7");
  CHECK(fmt(255, "x") == "ff");
  CHECK(fmt(255, "#06X") == "0X00FF");
  CHECK(fmt(8, "o") == "10");
  CHECK(fmt(4, ".3d") == "004");
  CHECK(fmt(12, "s") == "12");
  CHECK(fmt(12, "4s") == "  12");
  std::string out;
  CHECK_FALSE(FormatInt(1, "f", out));  // floats are not carried over
  CHECK_FALSE(FormatInt(1, "", out));
}

TEST_CASE("ProcessNumIsPlain: a padding that never shows -> plain, else not", "[ctl][import]") {
  const Template padded{Piece{Piece::Kind::kProcessNum, "", "02d"}};
  CHECK(ProcessNumIsPlain(padded, 10, 90));  // 10..99 have two digits already
  CHECK_FALSE(ProcessNumIsPlain(padded, 0, 10));
  CHECK(ProcessNumIsPlain(Template{Piece{Piece::Kind::kProcessNum, "", "d"}}, 0, 1000));
  CHECK(WithProcessNum(padded, 7) == Text("07"));
}
