// Framing, ids, dispatch, cancel and call lifetime of ControlServer.
#include "control_fixture.h"

using namespace sup::daemon::control::testing;

TEST_CASE("ControlServer: version -> answered by the server itself with protocol 1",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  REQUIRE(client.connected());
  client.Send(Request(1, "version"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK(*reply == json{{"id", 1}, {"ok", true}, {"result", {{"version", SUP_VERSION}, {"protocol", 1}}}});
  CHECK(h.handler.commands.empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: pipelined requests split across writes -> each answered with its id",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  const std::string both = Request("a", "status", {{"select", {"web"}}}) + Request(2, "pid");
  client.Send(both.substr(0, 10));
  h.loop.RunUntil([&] { return h.server->clients() == 1; });
  client.Send(both.substr(10));
  auto first = client.Next(h.loop);
  auto second = client.Next(h.loop);
  REQUIRE(first);
  REQUIRE(second);
  CHECK((*first)["id"] == "a");
  CHECK((*first)["result"]["select"] == json{"web"});
  CHECK((*second)["id"] == 2);
  CHECK((*second)["result"]["pid"] == ::getpid());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: malformed JSON -> bad_request with a null id, connection kept",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send("{\"id\":1,\"cmd\":\n");
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"].is_null());
  CHECK((*reply)["ok"] == false);
  CHECK((*reply)["error"]["code"] == "bad_request");
  client.Send(Request(2, "version"));
  reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["ok"] == true);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a request without id -> bad_request with id null", "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send("{\"cmd\":\"status\"}\n");
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK(*reply == json::parse(R"({"id":null,"ok":false,"error":{"code":"bad_request","message":"missing \"id\""}})"));
  CHECK(h.handler.commands.empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: unknown command -> unknown_command, handler not called", "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(5, "frobnicate"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"] == 5);
  CHECK((*reply)["error"]["code"] == "unknown_command");
  CHECK((*reply)["error"]["message"] == "unknown command 'frobnicate'");
  CHECK(h.handler.commands.empty());
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a long request in flight -> a later request is answered first",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "start", {{"select", {"web"}}}) + Request(2, "status"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"] == 2);
  REQUIRE(h.handler.held.size() == 1);
  h.handler.held[0]->Emit(json{{"name", "web"}, {"outcome", "ok"}});
  h.handler.held[0]->End();
  reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK(*reply == json{{"id", 1}, {"ok", true}, {"result", {{"name", "web"}, {"outcome", "ok"}}}});
  reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK(*reply == json{{"id", 1}, {"ok", true}, {"end", true}});
  CHECK_FALSE(h.handler.held[0]->open());
  CHECK(h.handler.cancelled == 0);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: an id already in flight on the connection -> bad_request", "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "events") + Request(1, "wait"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"] == 1);
  CHECK((*reply)["error"]["code"] == "bad_request");
  CHECK(h.handler.held.size() == 1);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: cancel -> the stream's end line, an ok reply, the hook runs once",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(7, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  h.handler.held[0]->Emit(json{{"to", "RUNNING"}});
  client.Send(Request(8, "cancel", {{"id", 7}}));
  auto item = client.Next(h.loop);
  auto end = client.Next(h.loop);
  auto ack = client.Next(h.loop);
  REQUIRE(item);
  REQUIRE(end);
  REQUIRE(ack);
  CHECK((*item)["result"]["to"] == "RUNNING");
  CHECK(*end == json{{"id", 7}, {"ok", true}, {"end", true}});
  CHECK(*ack == json{{"id", 8}, {"ok", true}, {"result", json::object()}});
  CHECK(h.handler.cancelled == 1);
  CHECK_FALSE(h.handler.held[0]->open());
  h.handler.held[0]->Emit(json{{"late", true}});  // a no-op now
  h.handler.held[0]->End();
  client.Send(Request(9, "version"));
  auto next = client.Next(h.loop);
  REQUIRE(next);
  CHECK((*next)["id"] == 9);
  CHECK(h.handler.cancelled == 1);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: cancel of an id not in flight -> ok, nothing else", "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "cancel", {{"id", 99}}));
  auto ack = client.Next(h.loop);
  REQUIRE(ack);
  CHECK(*ack == json{{"id", 1}, {"ok", true}, {"result", json::object()}});
  client.Send(Request(2, "cancel"));
  auto bad = client.Next(h.loop);
  REQUIRE(bad);
  CHECK((*bad)["error"]["code"] == "bad_request");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: client disconnects during a stream -> cancel hook runs, call closed",
          "[control]") {
  Harness h;
  {
    RawClient client(h.path);
    client.Send(Request(1, "events"));
    REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  }
  REQUIRE(h.loop.RunUntil([&] { return h.handler.cancelled == 1; }));
  CHECK_FALSE(h.handler.held[0]->open());
  CHECK(h.server->clients() == 0);
  int late = 0;
  h.handler.held[0]->OnCancel([&] { ++late; });  // registered after the fact: runs at once
  CHECK(late == 1);
  h.handler.held[0]->Emit(json{{"x", 1}});
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a handler that throws -> failed reply, server keeps serving",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "reload"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["error"]["code"] == "failed");
  CHECK((*reply)["error"]["message"] == "internal error: boom");
  client.Send(Request(2, "status"));
  reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["ok"] == true);
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a handler that drops a call unanswered -> failed reply", "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(3, "shutdown"));
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"] == 3);
  CHECK((*reply)["error"]["code"] == "failed");
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: Close with a stream open -> hook runs, socket unlinked", "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  h.server->Close();
  CHECK(h.handler.cancelled == 1);
  CHECK_FALSE(std::filesystem::exists(h.path));
  CHECK(h.loop.RunUntil([&] { return client.eof(); }));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: client half-closes with a stream open -> replies still come, then close",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "start", {{"select", {"web"}}}));
  client.ShutdownWrite();  // what `echo … | socat - UNIX-CONNECT:…` does
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  h.loop.RunUntil([] { return false; }, std::chrono::milliseconds(100));  // EOF is processed
  CHECK(h.handler.cancelled == 0);
  REQUIRE(h.handler.held[0]->open());
  h.handler.held[0]->Emit(json{{"name", "web"}, {"outcome", "ok"}});
  h.handler.held[0]->End();
  auto item = client.Next(h.loop);
  auto end = client.Next(h.loop);
  REQUIRE(item);
  REQUIRE(end);
  CHECK((*end)["end"] == true);
  CHECK(h.loop.RunUntil([&] { return client.eof(); }));
  CHECK(h.loop.RunUntil([&] { return h.server->clients() == 0; }));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a cancel hook that closes the whole server -> both close cleanly",
          "[control]") {
  Harness h;
  RawClient first(h.path);
  RawClient second(h.path);
  first.Send(Request(1, "events"));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1 && h.server->clients() == 2; }));
  bool closed_server = false;
  h.handler.held[0]->OnCancel([&] {
    h.server->Close();  // as supd may when a shutdown completes
    closed_server = true;
  });
  first.CloseFd();
  REQUIRE(h.loop.RunUntil([&] { return closed_server; }));
  CHECK(h.server->clients() == 0);
  CHECK_FALSE(std::filesystem::exists(h.path));
  CHECK(h.loop.RunUntil([&] { return second.eof(); }));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a call answered later that holds the next requests -> in order, none busy",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  const int n = 300;  // past max_calls_per_client (256)
  std::string requests;
  for (int i = 0; i < n; ++i) requests += Request(i, "status", {{"later", true}});
  client.Send(requests + Request(n, "pid"));
  for (int i = 0; i < n; ++i) {
    REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == static_cast<std::size_t>(i + 1); }));
    CHECK(h.handler.commands.size() == static_cast<std::size_t>(i + 1));  // the next one waits
    h.handler.held[static_cast<std::size_t>(i)]->Succeed(json{{"n", i}});
  }
  for (int i = 0; i <= n; ++i) {
    auto reply = client.Next(h.loop);
    REQUIRE(reply);
    CHECK((*reply)["id"] == i);
    CHECK((*reply)["ok"] == true);
  }
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: held requests of a client that half-closed are still answered, then close",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "status", {{"later", true}}) + Request(2, "status", {{"later", true}}));
  client.ShutdownWrite();
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == i + 1; }));
    h.loop.RunUntil([] { return false; }, std::chrono::milliseconds(50));  // EOF is processed
    h.handler.held[i]->Succeed(json::object());
  }
  for (int id = 1; id <= 2; ++id) {
    auto reply = client.Next(h.loop);
    REQUIRE(reply);
    CHECK((*reply)["id"] == id);
  }
  CHECK(h.loop.RunUntil([&] { return client.eof(); }));
  REQUIRE(h.Finish() == 0);
}

TEST_CASE("ControlServer: a reply answered later is a reply, not stream output: 6 MB of it keeps the client",
          "[control]") {
  Harness h;
  RawClient client(h.path);
  client.Send(Request(1, "status", {{"later", true}}));
  REQUIRE(h.loop.RunUntil([&] { return h.handler.held.size() == 1; }));
  const std::string big(6 * 1024 * 1024, 'x');  // over the 4 MiB bound on stream output
  h.handler.held[0]->Succeed(json{{"big", big}});
  auto reply = client.Next(h.loop);
  REQUIRE(reply);
  CHECK((*reply)["id"] == 1);
  CHECK((*reply)["result"]["big"].get<std::string>().size() == big.size());
  REQUIRE(h.Finish() == 0);
}
