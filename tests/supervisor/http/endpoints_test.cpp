// Route and Serialize: the three paths, 404 and 405, /readyz's list, HEAD.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http/endpoints.h"

using namespace sup::daemon::http;

namespace {

// Counts what each route read, so a test can tell that a path reads only its own source.
struct Fixture {
  int metrics_reads = 0;
  int ready_reads = 0;
  std::vector<std::string> not_ready;
  Routes routes() {
    Routes r;
    r.metrics = [this](std::function<void(std::string)> send) {
      ++metrics_reads;
      send("up 1\n");
    };
    r.not_ready = [this] {
      ++ready_reads;
      return not_ready;
    };
    return r;
  }
};

}  // namespace

TEST_CASE("Route: GET /healthz -> 200 ok, reading nothing", "[http]") {
  Fixture f;
  const Response r = Route({"GET", "/healthz"}, f.routes());
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  CHECK(f.metrics_reads + f.ready_reads == 0);
}

TEST_CASE("Route: GET /readyz with nothing pending -> 200", "[http]") {
  Fixture f;
  const Response r = Route({"GET", "/readyz"}, f.routes());
  CHECK(r.status == 200);
  CHECK(r.body == "ready\n");
  CHECK(f.ready_reads == 1);
}

TEST_CASE("Route: GET /readyz with instances not ready -> 503 listing each", "[http]") {
  Fixture f;
  f.not_ready = {"web:0 STARTING: waiting for READY=1", "db FATAL: start limit hit"};
  const Response r = Route({"GET", "/readyz"}, f.routes());
  CHECK(r.status == 503);
  CHECK(r.body == "not ready:\nweb:0 STARTING: waiting for READY=1\ndb FATAL: start limit hit\n");
}

TEST_CASE("Route: GET /metrics -> 200 in the Prometheus text format", "[http]") {
  Fixture f;
  const Response later = Route({"GET", "/metrics"}, f.routes());
  REQUIRE(later.later);  // read off the loop: answered when the text is ready
  CHECK(f.metrics_reads == 0);
  Response r;
  later.later([&](Response ready) { r = std::move(ready); });
  CHECK(f.metrics_reads == 1);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body == "up 1\n");
  CHECK(f.ready_reads == 0);
}

TEST_CASE("Route: any method but GET and HEAD on a known path -> 405 with Allow, nothing read",
          "[http]") {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    Fixture f;
    const Response r = Route({method, "/metrics"}, f.routes());
    CHECK(r.status == 405);
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0] == std::pair<std::string, std::string>("Allow", "GET, HEAD"));
    CHECK(f.metrics_reads + f.ready_reads == 0);
  }
}

TEST_CASE("Route: an unknown path -> 404 whatever the method", "[http]") {
  Fixture f;
  CHECK(Route({"GET", "/"}, f.routes()).status == 404);
  CHECK(Route({"GET", "/metrics/"}, f.routes()).status == 404);
  CHECK(Route({"POST", "/shutdown"}, f.routes()).status == 404);
}

TEST_CASE("Serialize: a response -> status line, length, Connection: close, then the body",
          "[http]") {
  Response r;
  r.body = "ok\n";
  CHECK(Serialize(r, false) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\nok\n");
}

TEST_CASE("Serialize: HEAD -> the GET's headers, Content-Length included, without the body",
          "[http]") {
  Response r = ErrorResponse(405);
  const std::string head = Serialize(r, true);
  CHECK(head.find("HTTP/1.1 405 Method Not Allowed\r\n") == 0);
  CHECK(head.find("Content-Length: " + std::to_string(r.body.size()) + "\r\n") != std::string::npos);
  CHECK(head.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
}

TEST_CASE("ErrorResponse: a detail -> on the line after the status", "[http]") {
  CHECK(ErrorResponse(431, "too long").body == "431 Request Header Fields Too Large\ntoo long\n");
  CHECK(ErrorResponse(404).body == "404 Not Found\n");
}
