// HttpServer on a real loop with real TCP clients: answers, limits, closing.
#include <netinet/in.h>

#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "http/http_server.h"
#include "http_fixture.h"

using namespace sup::daemon::http;
using namespace sup::daemon::http::testing;

namespace {

struct Harness {
  Loop loop;
  std::vector<Request> seen;
  std::unique_ptr<HttpServer> server;
  std::vector<std::function<void(Response)>> waiting;  // answers of /later, sent by the test

  explicit Harness(ServerOptions options = {}) {
    if (options.address.empty()) options.address = "127.0.0.1:0";
    server = std::make_unique<HttpServer>(loop.get(), options, [this](const Request& r) {
      seen.push_back(r);
      if (r.path == "/boom") throw std::runtime_error("boom");
      Response response;
      if (r.path == "/later") {  // as /metrics: answered once its reads finish off the loop
        response.later = [this](std::function<void(Response)> send) { waiting.push_back(std::move(send)); };
        return response;
      }
      response.body = "answer to " + r.method + " " + r.path + "\n";
      return response;
    });
    auto started = server->Start();
    INFO((started ? std::string() : started.error().Message()));
    REQUIRE(started);
  }
  int port() const { return server->port(); }
  int Finish() {
    server.reset();
    return loop.Close();
  }
};

std::string StatusLine(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }
std::string Body(const std::string& reply) {
  const auto at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

}  // namespace

TEST_CASE("HttpServer: a GET -> the handler's answer, then the server closes", "[http]") {
  Harness h;
  TcpClient c(h.port());
  REQUIRE(c.connected());
  c.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::string reply = c.ReadToEof(h.loop);
  CHECK(StatusLine(reply) == "HTTP/1.1 200 OK");
  CHECK(reply.find("Connection: close\r\n") != std::string::npos);
  CHECK(Body(reply) == "answer to GET /healthz\n");
  CHECK_FALSE(c.reset());
  REQUIRE(h.seen.size() == 1);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: HEAD -> the headers without the body", "[http]") {
  Harness h;
  TcpClient c(h.port());
  c.Send("HEAD /metrics HTTP/1.1\r\n\r\n");
  const std::string reply = c.ReadToEof(h.loop);
  CHECK(StatusLine(reply) == "HTTP/1.1 200 OK");
  CHECK(reply.find("Content-Length: 24\r\n") != std::string::npos);  // "answer to HEAD /metrics\n"
  CHECK(Body(reply).empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: a head over the limit -> 431 without calling the handler, next client served",
          "[http]") {
  Harness h;
  {
    TcpClient big(h.port());
    big.Send("GET /metrics HTTP/1.1\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
    CHECK(StatusLine(big.ReadToEof(h.loop)) == "HTTP/1.1 431 Request Header Fields Too Large");
  }
  CHECK(h.seen.empty());
  TcpClient next(h.port());
  next.Send("GET /readyz HTTP/1.1\r\n\r\n");
  CHECK(StatusLine(next.ReadToEof(h.loop)) == "HTTP/1.1 200 OK");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: garbage -> 400 without calling the handler", "[http]") {
  Harness h;
  TcpClient c(h.port());
  c.Send("HELLO\r\n\r\n");
  CHECK(StatusLine(c.ReadToEof(h.loop)) == "HTTP/1.1 400 Bad Request");
  CHECK(h.seen.empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: a request with a body -> answered at the head, the answer arrives whole",
          "[http]") {
  Harness h;
  TcpClient c(h.port());
  c.Send("POST /metrics HTTP/1.1\r\nContent-Length: 32768\r\n\r\n" + std::string(32768, 'x'));
  const std::string reply = c.ReadToEof(h.loop);
  CHECK(StatusLine(reply) == "HTTP/1.1 200 OK");
  CHECK(Body(reply) == "answer to POST /metrics\n");
  CHECK_FALSE(c.reset());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: a half-close after part of a head -> 400", "[http]") {
  Harness h;
  TcpClient c(h.port());
  c.Send("GET /metr");
  c.ShutdownWrite();
  CHECK(StatusLine(c.ReadToEof(h.loop)) == "HTTP/1.1 400 Bad Request");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: a handler that throws -> 500, the server carries on", "[http]") {
  Harness h;
  TcpClient c(h.port());
  c.Send("GET /boom HTTP/1.1\r\n\r\n");
  CHECK(StatusLine(c.ReadToEof(h.loop)) == "HTTP/1.1 500 Internal Server Error");
  TcpClient next(h.port());
  next.Send("GET /x HTTP/1.1\r\n\r\n");
  CHECK(StatusLine(next.ReadToEof(h.loop)) == "HTTP/1.1 200 OK");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: more clients than max_connections -> the extra one is closed at once",
          "[http]") {
  ServerOptions options;
  options.max_connections = 2;
  Harness h(options);
  TcpClient a(h.port()), b(h.port());
  REQUIRE(h.loop.RunUntil([&] { return h.server->connections() == 2; }));
  TcpClient extra(h.port());
  CHECK(extra.ReadToEof(h.loop).empty());
  CHECK(h.server->connections() == 2);
  a.Send("GET /a HTTP/1.1\r\n\r\n");
  CHECK(StatusLine(a.ReadToEof(h.loop)) == "HTTP/1.1 200 OK");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: a client that sends no complete head -> closed after request_timeout",
          "[http]") {
  ServerOptions options;
  options.request_timeout = std::chrono::milliseconds(100);
  Harness h(options);
  TcpClient c(h.port());
  c.Send("GET /metrics HTTP/1.1\r\n");  // and never the blank line
  CHECK(c.ReadToEof(h.loop).empty());
  CHECK(h.loop.RunUntil([&] { return h.server->connections() == 0; }));
  CHECK(h.seen.empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: Close with clients connected -> every handle closed", "[http]") {
  Harness h;
  TcpClient a(h.port()), b(h.port());
  REQUIRE(h.loop.RunUntil([&] { return h.server->connections() == 2; }));
  h.server->Close();
  CHECK(h.server->connections() == 0);
  CHECK(a.ReadToEof(h.loop).empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("HttpServer: an address in use -> Start fails naming the address", "[http]") {
  Harness first;
  Loop loop;
  ServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(first.port());
  {
    HttpServer second(loop.get(), options, [](const Request&) { return Response{}; });
    auto started = second.Start();
    REQUIRE_FALSE(started);
    CHECK(started.error().Message() ==
          "http " + options.address + ": bind: address already in use");
  }
  REQUIRE(loop.Close() == 0);
  REQUIRE(first.Finish() == 0);
}

TEST_CASE("HttpServer: a malformed or unknown address -> Start fails", "[http]") {
  Loop loop;
  for (const char* address : {"9100", "127.0.0.1:", "127.0.0.1:http", "[::1:9100"}) {
    INFO(address);
    ServerOptions options;
    options.address = address;
    HttpServer server(loop.get(), options, [](const Request&) { return Response{}; });
    CHECK_FALSE(server.Start());
  }
  REQUIRE(loop.Close() == 0);
}

TEST_CASE("HttpServer: 127.0.0.1 and localhost -> loopback, the wildcard -> every address",
          "[http]") {
  for (const char* address : {"127.0.0.1:0", "localhost:0"}) {
    INFO(address);
    ServerOptions options;
    options.address = address;
    Harness h(options);
    CHECK(h.server->loopback());
    CHECK(h.server->port() > 0);
    REQUIRE(h.Finish() == 0);
  }
  ServerOptions options;
  options.address = "*:0";
  Harness h(options);
  CHECK_FALSE(h.server->loopback());
  CHECK(h.server->bound() == "0.0.0.0:" + std::to_string(h.port()));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("SplitHostPort: host:port and bracketed v6 -> split, a missing part -> false", "[http]") {
  std::string host, port;
  REQUIRE(SplitHostPort("127.0.0.1:9100", host, port));
  CHECK((host == "127.0.0.1" && port == "9100"));
  REQUIRE(SplitHostPort("[::1]:80", host, port));
  CHECK((host == "::1" && port == "80"));
  REQUIRE(SplitHostPort("localhost:0", host, port));
  CHECK(host == "localhost");
  CHECK_FALSE(SplitHostPort(":9100", host, port));
  CHECK_FALSE(SplitHostPort("host:", host, port));
  CHECK_FALSE(SplitHostPort("host", host, port));
  CHECK_FALSE(SplitHostPort("[::1]x:80", host, port));
}

TEST_CASE("IsLoopback: 127.0.0.0/8, ::1 and v4-mapped 127.x -> true, others false", "[http]") {
  auto v4 = [](const char* text) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, text, &a.sin_addr) == 1);
    return IsLoopback(reinterpret_cast<sockaddr*>(&a));
  };
  auto v6 = [](const char* text) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, text, &a.sin6_addr) == 1);
    return IsLoopback(reinterpret_cast<sockaddr*>(&a));
  };
  CHECK(v4("127.0.0.1"));
  CHECK(v4("127.3.2.1"));
  CHECK_FALSE(v4("0.0.0.0"));
  CHECK_FALSE(v4("10.0.0.1"));
  CHECK(v6("::1"));
  CHECK(v6("::ffff:127.0.0.1"));
  CHECK_FALSE(v6("::"));
  CHECK_FALSE(v6("fe80::1"));
}

TEST_CASE("HttpServer: an answer read off the loop is sent when ready (dropped when its client was closed meanwhile)",
          "[http]") {
  ServerOptions options;
  options.request_timeout = std::chrono::milliseconds(300);  // closes the waiting `gone`
  Harness h(options);
  TcpClient c(h.port());
  REQUIRE(c.connected());
  c.Send("GET /later HTTP/1.1\r\n\r\n");
  REQUIRE(h.loop.RunUntil([&] { return h.waiting.size() == 1; }));
  CHECK_FALSE(c.Eof());  // waiting: nothing sent, the connection open
  c.ShutdownWrite();     // a half-close while waiting still gets the answer
  Response ready;
  ready.body = "read later\n";
  h.waiting[0](ready);
  const std::string reply = c.ReadToEof(h.loop);
  CHECK(StatusLine(reply) == "HTTP/1.1 200 OK");
  CHECK(Body(reply) == "read later\n");

  TcpClient gone(h.port());
  gone.Send("GET /later HTTP/1.1\r\n\r\n");
  REQUIRE(h.loop.RunUntil([&] { return h.waiting.size() == 2; }));
  gone.ReadToEof(h.loop);  // its deadline closed it
  REQUIRE(h.loop.RunUntil([&] { return h.server->connections() == 0; }));
  h.waiting[1](ready);  // dropped: no write to a freed connection
  CHECK(gone.received().empty());
  REQUIRE(h.Finish() == 0);
}
