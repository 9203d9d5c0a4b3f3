// RefusalLog: warnings about refused requests, at most 10 a second per uid (SPEC §9.1).
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

#include "control/refusal_log.h"
#include "control_fixture.h"

using sup::daemon::control::RefusalLog;
using namespace sup::daemon::control::testing;

namespace {

// Routes spdlog to a string for the test's lifetime.
struct CapturedLog {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  CapturedLog() {
    auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
    logger->set_pattern("%v");
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }
  int Count(const std::string& needle) const {
    int n = 0;
    const std::string text = out.str();
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("RefusalLog: a flood from one uid -> 10 lines, then one summary with the number suppressed",
          "[control][refusal]") {
  CapturedLog log;
  Loop loop;
  {
    RefusalLog refusals(loop.get());
    for (int i = 0; i < 500; ++i) refusals.Warn(1000, "denied for 1000");
    for (int i = 0; i < 3; ++i) refusals.Warn(2000, "denied for 2000");  // a uid of its own
    CHECK(log.Count("denied for 1000") == 10);
    CHECK(log.Count("denied for 2000") == 3);
    CHECK(log.Count("were not logged") == 0);
    // The summary comes when the second is over, without another refusal to carry it.
    REQUIRE(loop.RunUntil([&] { return log.Count("were not logged") == 1; }));
    CHECK(log.Count("490 more refused requests from uid 1000 in one second were not logged") == 1);
    // A new second, a new share.
    refusals.Warn(1000, "denied for 1000");
    CHECK(log.Count("denied for 1000") == 11);
  }
  CHECK(loop.Close() == 0);
}
