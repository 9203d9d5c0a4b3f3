// RequestParser: heads in pieces, the limits and their statuses, malformed input.
#include <catch2/catch.hpp>

#include <string>

#include "http/request_parser.h"

using sup::daemon::http::ParserLimits;
using sup::daemon::http::RequestParser;
using Outcome = RequestParser::Outcome;

TEST_CASE("RequestParser: a GET head in one piece -> complete with method and path", "[http]") {
  RequestParser p;
  REQUIRE(p.Feed("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n") == Outcome::kComplete);
  CHECK(p.request().method == "GET");
  CHECK(p.request().path == "/metrics");
}

TEST_CASE("RequestParser: a head fed one byte at a time -> complete only at the blank line",
          "[http]") {
  const std::string head = "HEAD /readyz HTTP/1.0\r\nUser-Agent: kube-probe/1.29\r\n\r\n";
  RequestParser p;
  for (std::size_t k = 0; k + 1 < head.size(); ++k)
    REQUIRE(p.Feed(head.substr(k, 1)) == Outcome::kNeedMore);
  REQUIRE(p.Feed(head.substr(head.size() - 1)) == Outcome::kComplete);
  CHECK(p.request().method == "HEAD");
  CHECK(p.request().path == "/readyz");
}

TEST_CASE("RequestParser: query string and absolute form -> the bare path", "[http]") {
  RequestParser a;
  REQUIRE(a.Feed("GET /metrics?name[]=x HTTP/1.1\r\n\r\n") == Outcome::kComplete);
  CHECK(a.request().path == "/metrics");
  RequestParser b;
  REQUIRE(b.Feed("GET http://10.0.0.7:9100/healthz HTTP/1.1\r\n\r\n") == Outcome::kComplete);
  CHECK(b.request().path == "/healthz");
}

TEST_CASE("RequestParser: a body after the head -> complete at the head, the body ignored",
          "[http]") {
  RequestParser p;
  REQUIRE(p.Feed("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello") == Outcome::kComplete);
  CHECK(p.request().method == "POST");
  CHECK(p.Feed("GET / HTTP/1.1\r\n\r\n") == Outcome::kComplete);  // later bytes change nothing
  CHECK(p.request().path == "/metrics");
}

TEST_CASE("RequestParser: a head over max_head_bytes -> 431", "[http]") {
  RequestParser p(ParserLimits{.max_head_bytes = 256, .max_url_bytes = 128});
  REQUIRE(p.Feed("GET /metrics HTTP/1.1\r\n") == Outcome::kNeedMore);
  Outcome last = Outcome::kNeedMore;
  for (int k = 0; k < 40 && last == Outcome::kNeedMore; ++k) last = p.Feed("X-Filler: 0123456789\r\n");
  REQUIRE(last == Outcome::kError);
  CHECK(p.error_status() == 431);
}

TEST_CASE("RequestParser: a complete head that is too long in one piece -> 431", "[http]") {
  RequestParser p(ParserLimits{.max_head_bytes = 64, .max_url_bytes = 32});
  REQUIRE(p.Feed("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n") == Outcome::kError);
  CHECK(p.error_status() == 431);
}

TEST_CASE("RequestParser: a URL over max_url_bytes -> 414", "[http]") {
  RequestParser p(ParserLimits{.max_head_bytes = 8192, .max_url_bytes = 100});
  REQUIRE(p.Feed("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n\r\n") == Outcome::kError);
  CHECK(p.error_status() == 414);
}

TEST_CASE("RequestParser: bytes that are not HTTP -> 400 with http_parser's reason", "[http]") {
  RequestParser p;
  REQUIRE(p.Feed("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == Outcome::kError);  // a TLS hello
  CHECK(p.error_status() == 400);
  CHECK_FALSE(p.error_detail().empty());
}

TEST_CASE("RequestParser: a bad header line -> 400", "[http]") {
  RequestParser p;
  CHECK(p.Feed("GET / HTTP/1.1\r\nno colon here\r\n\r\n") == Outcome::kError);
  CHECK(p.error_status() == 400);
}

TEST_CASE("RequestParser: the peer closes mid-head -> 400, before any byte -> nothing to answer",
          "[http]") {
  RequestParser partial;
  REQUIRE(partial.Feed("GET /metr") == Outcome::kNeedMore);
  CHECK(partial.Finish() == Outcome::kError);
  CHECK(partial.error_status() == 400);
  RequestParser empty;
  CHECK(empty.Finish() == Outcome::kNeedMore);
}
