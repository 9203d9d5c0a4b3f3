#include <catch2/catch.hpp>

#include "notify/notify_message.h"

using sup::daemon::kMaxNotifyStatus;
using sup::daemon::NotifyMessage;
using sup::daemon::ParseNotify;

TEST_CASE("ParseNotify: READY=1 -> ready", "[notify]") {
  const auto m = ParseNotify("READY=1");
  REQUIRE(m);
  CHECK(m->ready);
  CHECK_FALSE(m->status);
}

TEST_CASE("ParseNotify: several assignments with a trailing newline -> all of them", "[notify]") {
  const auto m = ParseNotify("READY=1\nSTATUS=serving 3 clients\nWATCHDOG=1\nMAINPID=4242\nERRNO=5\n"
                             "EXTEND_TIMEOUT_USEC=30000000\nSTOPPING=1\nRELOADING=1\nBARRIER=1\n");
  REQUIRE(m);
  CHECK(m->ready);
  CHECK(m->reloading);
  CHECK(m->stopping);
  CHECK(m->status == "serving 3 clients");
  CHECK(m->watchdog_ping);
  CHECK_FALSE(m->watchdog_trigger);
  CHECK(m->main_pid == 4242);
  CHECK(m->error == 5);
  CHECK(m->extend_timeout_usec == 30'000'000u);
  CHECK(m->barrier);
}

TEST_CASE("ParseNotify: WATCHDOG=trigger -> trigger, not a ping", "[notify]") {
  const auto m = ParseNotify("WATCHDOG=trigger");
  REQUIRE(m);
  CHECK(m->watchdog_trigger);
  CHECK_FALSE(m->watchdog_ping);
}

TEST_CASE("ParseNotify: values other than 1 for flags -> ignored", "[notify]") {
  const auto m = ParseNotify("READY=0\nREADY=yes\nSTOPPING=\nRELOADING=2\nWATCHDOG=0\nBARRIER=true");
  REQUIRE(m);
  CHECK(*m == NotifyMessage{});
}

TEST_CASE("ParseNotify: malformed numbers -> those keys ignored", "[notify]") {
  const auto m = ParseNotify("MAINPID=0\nERRNO=-1\nEXTEND_TIMEOUT_USEC=12abc\nMAINPID=abc\n"
                             "EXTEND_TIMEOUT_USEC=99999999999999999999999\nMAINPID=-5\nERRNO=+3\nMAINPID=3000000000");
  REQUIRE(m);
  CHECK_FALSE(m->main_pid);
  CHECK_FALSE(m->error);
  CHECK_FALSE(m->extend_timeout_usec);
}

TEST_CASE("ParseNotify: unknown keys, lines without '=' and empty lines -> ignored", "[notify]") {
  const auto m = ParseNotify("\n\nFOO=bar\nnonsense\n=1\nX_SYSTEMD_UNIT_ACTIVE=1\nREADY=1");
  REQUIRE(m);
  CHECK(m->ready);
  NotifyMessage expect;
  expect.ready = true;
  CHECK(*m == expect);
}

TEST_CASE("ParseNotify: a key given twice -> the last value wins", "[notify]") {
  const auto m = ParseNotify("STATUS=first\nSTATUS=second\nMAINPID=10\nMAINPID=11");
  REQUIRE(m);
  CHECK(m->status == "second");
  CHECK(m->main_pid == 11);
}

TEST_CASE("ParseNotify: an empty STATUS= -> an empty status (clears the text)", "[notify]") {
  const auto m = ParseNotify("STATUS=");
  REQUIRE(m);
  REQUIRE(m->status);
  CHECK(m->status->empty());
}

TEST_CASE("ParseNotify: STATUS over 256 bytes -> cut to 256", "[notify]") {
  const auto m = ParseNotify("STATUS=" + std::string(1000, 'x'));
  REQUIRE(m);
  CHECK(m->status == std::string(kMaxNotifyStatus, 'x'));
}

TEST_CASE("ParseNotify: STATUS cut inside a UTF-8 character -> cut before it", "[notify]") {
  // 255 ASCII bytes then "é" (2 bytes) straddles the 256-byte limit.
  const auto m = ParseNotify("STATUS=" + std::string(255, 'a') + "\xC3\xA9" + "tail");
  REQUIRE(m);
  CHECK(m->status == std::string(255, 'a'));
}

TEST_CASE("ParseNotify: a value holding '=' -> kept whole", "[notify]") {
  const auto m = ParseNotify("STATUS=a=b=c");
  REQUIRE(m);
  CHECK(m->status == "a=b=c");
}

TEST_CASE("ParseNotify: an embedded NUL -> rejected whole", "[notify]") {
  using namespace std::string_literals;
  CHECK_FALSE(ParseNotify("READY=1\0STATUS=x"s));
}

TEST_CASE("ParseNotify: an empty datagram -> an empty message", "[notify]") {
  const auto m = ParseNotify("");
  REQUIRE(m);
  CHECK(*m == NotifyMessage{});
}
