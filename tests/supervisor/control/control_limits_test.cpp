// The limits of SPEC §6: oversize lines, client count, idle clients, clients that do not read.
#include "control_fixture.h"

using namespace sup::daemon::control::testing;

namespace {

// Sends `data` without blocking the loop's thread, pumping the loop while the socket is
// full; stops early once the server answered or closed.
void SendPumping(Harness& h, RawClient& client, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(client.fd(), data.data() + sent, data.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) return;  // the server closed
    if (client.Ready()) return;
    h.loop.RunUntil([&] {
      pollfd pfd{client.fd(), POLLOUT | POLLIN, 0};
      return ::poll(&pfd, 1, 0) > 0;
    });
  }
}

}  // namespace

TEST_CASE("ControlServer: a request line over 1 MiB -> bad_request, then the connection closes",
          "[control][limits]") {
  Harness h;
  RawClient client(h.path);
  std::string huge = "{\"id\":1,\"cmd\":\"status\",\"args\":{\"x\":\"" + std::string(1 << 20, 'a') + "\"}}\n";
  SendPumping(h, client, huge);
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"].is_null());
  CHECK((*reply)["error"]["code"] == "bad_request");
  CHECK((*reply)["error"]["message"] == "request line longer than 1048576 bytes");
  CHECK(h.loop.RunUntil([&] { return client.eof(); }));
  CHECK(h.loop.RunUntil([&] { return h.server->clients() == 0; }));
  CHECK(h.handler.commands.empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: 256 clients connected -> the 257th gets busy and is closed",
          "[control][limits]") {
  Harness h;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 256; ++i) {
    clients.push_back(std::make_unique<RawClient>(h.path));
    REQUIRE(clients.back()->connected());
    REQUIRE(h.loop.RunUntil([&] { return h.server->clients() == clients.size(); }));
  }
  RawClient extra(h.path);
  auto reply = extra.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"].is_null());
  CHECK((*reply)["error"]["code"] == "busy");
  CHECK(h.loop.RunUntil([&] { return extra.eof(); }));
  CHECK(h.server->clients() == 256);
  // The others are still served.
  clients.front()->Send(Request(1, "version"));
  auto ok = clients.front()->Next(h.loop);
  REQUIRE(ok);
  CHECK((*ok)["ok"] == true);
  clients.clear();
  CHECK(h.loop.RunUntil([&] { return h.server->clients() == 0; }));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a client idle past the timeout -> closed", "[control][limits]") {
  Harness h([](auto& o) { o.idle_timeout = std::chrono::milliseconds(50); });
  RawClient client(h.path);
  client.Send(Request(1, "version"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK(h.loop.RunUntil([&] { return client.eof(); }));
  CHECK(h.server->clients() == 0);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: an open stream -> kept past the idle timeout and closed once it ends",
          "[control][limits]") {
  Harness h([](auto& o) { o.idle_timeout = std::chrono::milliseconds(50); });
  RawClient client(h.path);
  client.Send(Request(1, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  // Several idle timeouts' worth of loop time (bounded by the guard, not asserted as time).
  h.loop.RunUntil([] { return false; }, std::chrono::milliseconds(300));
  CHECK_FALSE(client.eof());
  CHECK(h.server->clients() == 1);
  h.handler.held[0]->End();
  auto end = client.Next(h.loop);
  REQUIRE(end);
  CHECK((*end)["end"] == true);
  CHECK(h.loop.RunUntil([&] { return client.eof(); }));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a client whose stream output piles up past the bound -> dropped, others still served",
          "[control][limits]") {
  Harness h([](auto& o) { o.max_pending_output = 64 * 1024; });
  RawClient slow(h.path);
  RawClient other(h.path);
  slow.Send(Request(1, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  // Stream lines come outside any request of the client's: only dropping bounds them.
  const std::string chunk(16 * 1024, 'x');
  auto stream = h.handler.held[0];
  for (int i = 0; i < 200 && stream->open(); ++i) stream->Emit(json{{"line", chunk}});
  CHECK_FALSE(stream->open());
  REQUIRE(h.loop.RunUntil([&] { return h.server->clients() == 1; }));
  other.Send(Request(2, "status"));
  auto reply = other.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["ok"] == true);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: replies piling up -> the next requests stay unread until the client reads, none dropped",
          "[control][limits]") {
  Harness h([](auto& o) {
    o.max_pending_output = 64 * 1024;  // replies are not bounded by it: they pause reading
    o.pause_reading_above = 256 * 1024;
  });
  RawClient client(h.path);
  client.Send(Request(1, "logs") + Request(2, "logs") + Request(3, "version"));  // 2 x 3.2 MB
  REQUIRE(h.loop.RunUntil([&] { return client.Ready(); }));
  CHECK(h.handler.commands == std::vector<std::string>{"logs"});  // the rest waits in the socket
  int lines = 0;
  bool version = false;
  while (!version) {
    auto reply = client.Next(h.loop);
    REQUIRE(reply);
    version = (*reply)["id"] == 3;
    ++lines;
  }
  CHECK(lines == 2 * 201 + 1);
  CHECK(h.handler.commands == std::vector<std::string>{"logs", "logs"});
  CHECK(h.server->clients() == 1);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: requests in flight on one connection past the bound -> busy for those ids",
          "[control][limits]") {
  Harness h([](auto& o) { o.max_calls_per_client = 3; });
  RawClient client(h.path);
  RawClient other(h.path);
  std::string batch;
  for (int id = 1; id <= 5; ++id) batch += Request(id, "events");
  client.Send(batch);
  for (int id = 4; id <= 5; ++id) {
    auto refused = client.Next(h.loop);
    REQUIRE(refused);
    CHECK((*refused)["id"] == id);
    CHECK((*refused)["error"]["code"] == "busy");
    CHECK((*refused)["error"]["message"] == "too many requests in flight on this connection (3)");
  }
  CHECK(h.handler.held.size() == 3);
  // Requests answered at once still pass; the connection stays open.
  client.Send(Request(6, "version"));
  auto version = client.Next(h.loop);
  REQUIRE(version);
  CHECK((*version)["id"] == 6);
  CHECK((*version)["ok"] == true);
  // The bound is per connection.
  other.Send(Request(1, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 4; }));
  // A stream that ends frees its slot.
  h.handler.held[0]->End();
  auto end = client.Next(h.loop);
  REQUIRE(end);
  CHECK((*end)["end"] == true);
  client.Send(Request(7, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 5; }));
  CHECK_FALSE(client.eof());
  REQUIRE(h.Finish() == 0);
}
