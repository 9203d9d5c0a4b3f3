// HealthChecker with tcp and http probes against sockets and a tiny HTTP server opened by the
// test: pass, refusal, status codes, a server that never answers, Stop mid-probe.
#include <catch2/catch.hpp>

#include "health/net_probe.h"
#include "health_test_support.h"
#include "net_test_peers.h"

namespace sup::daemon {
namespace {

using namespace testing;

TEST_CASE("HealthChecker tcp: a listening socket -> pass", "[health][tcp]") {
  HealthFixture fx;
  Listener listener;
  REQUIRE(listener.port() > 0);
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(TcpTarget("127.0.0.1:" + std::to_string(listener.port())), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK(results[0].passed);
  CHECK(results[0].detail == "connected to 127.0.0.1:" + std::to_string(listener.port()));
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker tcp: a closed port -> failure naming the refusal", "[health][tcp]") {
  HealthFixture fx;
  const int port = ClosedPort();
  REQUIRE(port > 0);
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(TcpTarget("127.0.0.1:" + std::to_string(port)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker tcp: a host name -> resolved off the loop, then connected", "[health][tcp]") {
  HealthFixture fx;
  Listener listener;
  std::vector<ProbeResult> results;
  // localhost may resolve to ::1 first: each address is tried until one connects.
  auto checker = fx.Checker(TcpTarget("localhost:" + std::to_string(listener.port())), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK(results[0].passed);
  CHECK(results[0].detail == "connected to 127.0.0.1:" + std::to_string(listener.port()));
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker tcp: a name that does not resolve -> failure naming the name", "[health][tcp]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(TcpTarget("no-such-host.invalid:80"), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  // Either the resolver answers or, without one, the timeout cuts it: a failure both ways.
  CHECK((results[0].detail.rfind("resolve no-such-host.invalid: ", 0) == 0 ||
         results[0].detail.rfind("timed out after", 0) == 0));
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker tcp: a malformed address -> failure, no crash", "[health][tcp]") {
  HealthFixture fx;
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(TcpTarget("127.0.0.1"), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail.find("127.0.0.1") != std::string::npos);
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: 200 then 503 -> pass then failure", "[health][http]") {
  HealthFixture fx;
  HttpServer server({HttpServer::Reply(200, "OK"), HttpServer::Reply(503, "Service Unavailable")});
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget(server.url("/health?x=1"), std::chrono::seconds(10), std::chrono::milliseconds(20)),
                            results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 2));
  checker->Stop();
  CHECK(results[0].passed);
  CHECK(results[0].detail == "HTTP 200");
  CHECK_FALSE(results[1].passed);
  CHECK(results[1].detail == "HTTP 503");
  const auto requests = server.requests();
  REQUIRE(!requests.empty());
  CHECK(requests[0].rfind("GET /health?x=1 HTTP/1.0\r\n", 0) == 0);
  CHECK(requests[0].find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: a 3xx redirect -> pass, 404 -> failure", "[health][http]") {
  HealthFixture fx;
  HttpServer server({HttpServer::Reply(302, "Found"), HttpServer::Reply(404, "Not Found")});
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget(server.url(), std::chrono::seconds(10), std::chrono::milliseconds(20)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 2));
  checker->Stop();
  CHECK(results[0].passed);
  CHECK(results[0].detail == "HTTP 302");
  CHECK_FALSE(results[1].passed);
  CHECK(results[1].detail == "HTTP 404");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: a server that never answers -> cut at the timeout", "[health][http]") {
  HealthFixture fx;
  HttpServer server({""});
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget(server.url(), std::chrono::milliseconds(200)), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "timed out after 200ms");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: a reply that is not HTTP -> failure naming the bad line", "[health][http]") {
  HealthFixture fx;
  HttpServer server({"SSH-2.0-OpenSSH_9.2\r\n"});
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget(server.url()), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "HTTP: bad status line \"SSH-2.0-OpenSSH_9.2\"");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: the connection closes without a reply -> failure", "[health][http]") {
  HealthFixture fx;
  HttpServer server({"HTTP/1.1 20"});  // a truncated status line, then close
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget(server.url()), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "HTTP: connection closed inside the status line");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: a closed port -> failure naming the refusal", "[health][http]") {
  HealthFixture fx;
  const int port = ClosedPort();
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget("http://127.0.0.1:" + std::to_string(port) + "/"), results);
  checker->Start();
  REQUIRE(fx.WaitResults(results, 1));
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].detail == "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("HealthChecker http: Stop while waiting for the reply -> no result, loop closes", "[health][http]") {
  HealthFixture fx;
  HttpServer server({""});
  std::vector<ProbeResult> results;
  auto checker = fx.Checker(HttpTarget(server.url()), results);
  checker->Start();
  REQUIRE(RunUntil(fx.loop(), [&] { return !server.requests().empty(); }));
  CHECK(checker->probing());
  checker->Stop();
  RunUntil(fx.loop(), [] { return false; }, std::chrono::milliseconds(50));
  CHECK(results.empty());
  checker.reset();
  REQUIRE(fx.Close());
}

TEST_CASE("NetProbe: destroyed while resolving -> no callback, loop closes", "[health][tcp]") {
  HealthFixture fx;
  bool called = false;
  auto probe = std::make_unique<NetProbe>(fx.loop(), HostPort{"localhost", 9});
  REQUIRE(probe->Start([&](bool, const std::string&) { called = true; }));
  probe.reset();  // getaddrinfo is still queued or running
  REQUIRE(fx.Close());  // runs the loop until the cancelled request has finished
  CHECK_FALSE(called);
}

TEST_CASE("NetProbe: destroyed while connecting -> no callback, loop closes", "[health][tcp]") {
  HealthFixture fx;
  Listener listener;
  bool called = false;
  auto probe = std::make_unique<NetProbe>(fx.loop(), HostPort{"127.0.0.1", listener.port()});
  REQUIRE(probe->Start([&](bool, const std::string&) { called = true; }));
  probe.reset();  // the connect request is still pending: it ends with ECANCELED
  REQUIRE(fx.Close());  // runs the loop until the cancelled request has finished
  CHECK_FALSE(called);
}

}  // namespace
}  // namespace sup::daemon
