#include <csignal>

#include <catch2/catch.hpp>

#include "sup/conf/units.h"

using namespace std::chrono_literals;
using sup::conf::Duration;
using sup::conf::FormatDuration;
using sup::conf::ParseDuration;
using sup::conf::ParseSignal;
using sup::conf::ParseSize;
using sup::conf::SignalName;

TEST_CASE("ParseDuration: each unit and fractions -> milliseconds", "[conf][units]") {
  CHECK(ParseDuration("250ms") == Duration{250});
  CHECK(ParseDuration("10s") == Duration{10'000});
  CHECK(ParseDuration("5m") == Duration{300'000});
  CHECK(ParseDuration("1h") == Duration{3'600'000});
  CHECK(ParseDuration("1d") == Duration{86'400'000});
  CHECK(ParseDuration("1.5s") == Duration{1'500});
  CHECK(ParseDuration("0.25s") == Duration{250});
  CHECK(ParseDuration("1m30s") == Duration{90'000});
  CHECK(ParseDuration(" 2s ") == Duration{2'000});
}

TEST_CASE("ParseDuration: a bare number -> seconds, 0 -> zero", "[conf][units]") {
  CHECK(ParseDuration("0") == Duration{0});
  CHECK(ParseDuration("3") == Duration{3'000});
  CHECK(ParseDuration("0s") == Duration{0});
}

TEST_CASE("ParseDuration: malformed text -> nullopt", "[conf][units]") {
  for (const char* bad : {"", "s", "10x", "-1s", "1.5.2s", "10 s s", "5s3", "ten", "1e3s", "1m30"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad).has_value());
  }
}

TEST_CASE("ParseSize: decimal and binary units -> bytes", "[conf][units]") {
  CHECK(ParseSize("100") == 100u);
  CHECK(ParseSize("100B") == 100u);
  CHECK(ParseSize("64KiB") == 65'536u);
  CHECK(ParseSize("50MB") == 50'000'000u);
  CHECK(ParseSize("1GiB") == 1'073'741'824u);
  CHECK(ParseSize("2KB") == 2'000u);
  CHECK(ParseSize("1.5MiB") == 1'572'864u);
  CHECK(ParseSize("1 mib") == 1'048'576u);
  CHECK(ParseSize("0") == 0u);
}

TEST_CASE("ParseSize: unknown units, negatives and overflow -> nullopt", "[conf][units]") {
  for (const char* bad : {"", "MB", "5XB", "-1", "10 bits", "99999999TiB"}) {
    INFO(bad);
    CHECK_FALSE(ParseSize(bad).has_value());
  }
}

TEST_CASE("ParseSignal: names with or without SIG, any case, and numbers -> the signal", "[conf][units]") {
  CHECK(ParseSignal("TERM") == SIGTERM);
  CHECK(ParseSignal("SIGTERM") == SIGTERM);
  CHECK(ParseSignal("term") == SIGTERM);
  CHECK(ParseSignal("15") == 15);
  CHECK(ParseSignal("HUP") == SIGHUP);
  CHECK(ParseSignal("sigusr2") == SIGUSR2);
  CHECK(ParseSignal("KILL") == SIGKILL);
}

TEST_CASE("ParseSignal: unknown names and out-of-range numbers -> nullopt", "[conf][units]") {
  for (const char* bad : {"", "TREM", "SIG", "0", "999", "-15", "15x"}) {
    INFO(bad);
    CHECK_FALSE(ParseSignal(bad).has_value());
  }
}

TEST_CASE("SignalName: known numbers -> short names, others -> the number", "[conf][units]") {
  CHECK(SignalName(SIGTERM) == "TERM");
  CHECK(SignalName(SIGKILL) == "KILL");
  CHECK(SignalName(SIGHUP) == "HUP");
  CHECK(SignalName(40) == "40");
}

TEST_CASE("FormatDuration: shortest readable form that parses back", "[conf][units]") {
  CHECK(FormatDuration(Duration{1500}) == "1.5s");
  CHECK(FormatDuration(Duration{90'000}) == "1m30s");
  CHECK(FormatDuration(Duration{250}) == "250ms");
  CHECK(FormatDuration(Duration{0}) == "0s");
  CHECK(FormatDuration(Duration{3'600'000}) == "1h");
  CHECK(FormatDuration(Duration{3'661'001}) == "1h1m1.001s");
  CHECK(FormatDuration(Duration{10'000}) == "10s");
  for (long ms : {1L, 999L, 1000L, 1500L, 61'250L, 7'200'500L})
    CHECK(ParseDuration(FormatDuration(Duration{ms})) == Duration{ms});
}
