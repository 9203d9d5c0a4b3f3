// Parsing of tcp "host:port" and http URLs, the request text and the status line.
#include <catch2/catch.hpp>

#include "health/health_target.h"

namespace sup::daemon {
namespace {

TEST_CASE("ParseHostPort: IPv4, names and bracketed IPv6 -> host and port", "[health][target]") {
  CHECK(*ParseHostPort("127.0.0.1:8080") == HostPort{"127.0.0.1", 8080});
  CHECK(*ParseHostPort("localhost:1") == HostPort{"localhost", 1});
  CHECK(*ParseHostPort("[::1]:65535") == HostPort{"::1", 65535});
}

TEST_CASE("ParseHostPort: missing, zero, oversized or junk ports -> error", "[health][target]") {
  CHECK_FALSE(ParseHostPort("127.0.0.1"));
  CHECK_FALSE(ParseHostPort("127.0.0.1:"));
  CHECK_FALSE(ParseHostPort(":80"));
  CHECK_FALSE(ParseHostPort("host:0"));
  CHECK_FALSE(ParseHostPort("host:65536"));
  CHECK_FALSE(ParseHostPort("host:80x"));
  CHECK_FALSE(ParseHostPort("::1:80"));
  CHECK_FALSE(ParseHostPort("[::1:80"));
}

TEST_CASE("ParseHttpUrl: default port and path, query kept, fragment dropped", "[health][target]") {
  CHECK(*ParseHttpUrl("http://127.0.0.1:8080/health") == HttpUrl{{"127.0.0.1", 8080}, "/health"});
  CHECK(*ParseHttpUrl("http://example") == HttpUrl{{"example", 80}, "/"});
  CHECK(*ParseHttpUrl("http://[::1]/x?y=1#frag") == HttpUrl{{"::1", 80}, "/x?y=1"});
  CHECK(*ParseHttpUrl("http://h:81?q") == HttpUrl{{"h", 81}, "/?q"});
}

TEST_CASE("ParseHttpUrl: other schemes, user info, no host, spaces -> error", "[health][target]") {
  CHECK_FALSE(ParseHttpUrl("https://h/"));
  CHECK_FALSE(ParseHttpUrl("http://"));
  CHECK_FALSE(ParseHttpUrl("http:///x"));
  CHECK_FALSE(ParseHttpUrl("http://u:p@h/"));
  CHECK_FALSE(ParseHttpUrl("http://h:99999/"));
  CHECK_FALSE(ParseHttpUrl("http://h/a b"));
}

TEST_CASE("HttpRequestText: HTTP/1.0 GET with Host (port unless 80) and Connection close", "[health][target]") {
  const std::string text = HttpRequestText(HttpUrl{{"127.0.0.1", 8080}, "/health"});
  CHECK(text.rfind("GET /health HTTP/1.0\r\n", 0) == 0);
  CHECK(text.find("\r\nHost: 127.0.0.1:8080\r\n") != std::string::npos);
  CHECK(text.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(text.size() >= 4);
  CHECK(text.substr(text.size() - 4) == "\r\n\r\n");
  CHECK(HttpRequestText(HttpUrl{{"::1", 80}, "/"}).find("\r\nHost: [::1]\r\n") != std::string::npos);
}

TEST_CASE("ParseHttpStatusLine: HTTP/1.x NNN with or without reason -> the code", "[health][target]") {
  CHECK(ParseHttpStatusLine("HTTP/1.1 200 OK") == 200);
  CHECK(ParseHttpStatusLine("HTTP/1.0 503 Service Unavailable") == 503);
  CHECK(ParseHttpStatusLine("HTTP/1.1 302") == 302);
  CHECK_FALSE(ParseHttpStatusLine("HTTP/1.1 20"));
  CHECK_FALSE(ParseHttpStatusLine("HTTP/1.1 2000 OK"));
  CHECK_FALSE(ParseHttpStatusLine("HTTP/1.1 abc OK"));
  CHECK_FALSE(ParseHttpStatusLine("SSH-2.0-OpenSSH_9.2"));
  CHECK_FALSE(ParseHttpStatusLine(""));
}

}  // namespace
}  // namespace sup::daemon
