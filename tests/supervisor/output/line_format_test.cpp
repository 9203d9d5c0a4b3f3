#include "output/line_format.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sup::daemon::output;

TEST_CASE("FormatRfc3339: UTC with milliseconds and Z", "[output][format]") {
  // 2026-11-24T08:00:00.123Z
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'507'200'123));
  CHECK(FormatRfc3339(t) == "2026-11-24T08:00:00.123Z");
  CHECK(FormatRfc3339(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("ForwardPrefix: name padded to the width, then ' | '", "[output][format]") {
  CHECK(ForwardPrefix("web", 0) == "web | ");
  CHECK(ForwardPrefix("web", 6) == "web    | ");
  CHECK(ForwardPrefix("worker:10", 4) == "worker:10 | ");
}

TEST_CASE("AppendJsonLine: one object per line with the five fields", "[output][format]") {
  std::string out = "x";
  AppendJsonLine(out, "2026-11-24T08:00:00.123Z", "web", 2, Stream::kStderr, "he said \"hi\"");
  REQUIRE(out.front() == 'x');
  REQUIRE(out.back() == '\n');
  const auto j = nlohmann::json::parse(out.substr(1));
  CHECK(j["time"] == "2026-11-24T08:00:00.123Z");
  CHECK(j["program"] == "web");
  CHECK(j["instance"] == 2);
  CHECK(j["stream"] == "stderr");
  CHECK(j["line"] == "he said \"hi\"");
}

TEST_CASE("AppendJsonLine: invalid UTF-8 -> replaced, never thrown", "[output][format]") {
  std::string out;
  REQUIRE_NOTHROW(AppendJsonLine(out, "t", "p", 0, Stream::kStdout, "bad \xff\xfe bytes"));
  CHECK(nlohmann::json::parse(out)["line"].get<std::string>().find("bad") == 0);
}
