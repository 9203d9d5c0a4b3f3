#include <catch2/catch.hpp>

#include <string>
#include <variant>

#include "protocol/errors.h"
#include "protocol/message.h"

using nlohmann::json;
using namespace sup::protocol;

namespace {

RequestError DecodeError(std::string_view line) {
  auto decoded = DecodeRequest(line);
  REQUIRE(std::holds_alternative<RequestError>(decoded));
  return std::get<RequestError>(decoded);
}

}  // namespace

TEST_CASE("DecodeRequest: a full request -> id, cmd and args", "[protocol][message]") {
  auto decoded = DecodeRequest(R"({"id":1,"cmd":"status","args":{"select":["web"]}})");
  REQUIRE(std::holds_alternative<Request>(decoded));
  const auto& req = std::get<Request>(decoded);
  CHECK(req.id == 1);
  CHECK(req.cmd == "status");
  CHECK(req.args == json{{"select", {"web"}}});
}

TEST_CASE("DecodeRequest: string id and no args -> args is an empty object", "[protocol][message]") {
  auto decoded = DecodeRequest(R"({"id":"a-1","cmd":"version"})");
  REQUIRE(std::holds_alternative<Request>(decoded));
  CHECK(std::get<Request>(decoded).id == "a-1");
  CHECK(std::get<Request>(decoded).args == json::object());
}

TEST_CASE("DecodeRequest: malformed JSON -> bad_request with a null id", "[protocol][message]") {
  auto err = DecodeError(R"({"id":1,"cmd":)");
  CHECK(err.id.is_null());
  CHECK(err.code == code::kBadRequest);
  CHECK(err.message == "malformed JSON");
}

TEST_CASE("DecodeRequest: missing id -> bad_request with a null id", "[protocol][message]") {
  auto err = DecodeError(R"({"cmd":"status"})");
  CHECK(err.id.is_null());
  CHECK(err.message == "missing \"id\"");
}

TEST_CASE("DecodeRequest: a float, bool or object id -> bad_request", "[protocol][message]") {
  CHECK(DecodeError(R"({"id":1.5,"cmd":"x"})").message == "\"id\" must be an integer or a string");
  CHECK(DecodeError(R"({"id":true,"cmd":"x"})").code == code::kBadRequest);
  CHECK(DecodeError(R"({"id":{},"cmd":"x"})").code == code::kBadRequest);
}

TEST_CASE("DecodeRequest: bad cmd or args -> bad_request echoing the id", "[protocol][message]") {
  auto err = DecodeError(R"({"id":7})");
  CHECK(err.id == 7);
  CHECK(err.message == "missing \"cmd\"");
  CHECK(DecodeError(R"({"id":7,"cmd":3})").message == "\"cmd\" must be a string");
  err = DecodeError(R"({"id":"x","cmd":"status","args":[1]})");
  CHECK(err.id == "x");
  CHECK(err.message == "\"args\" must be an object");
}

TEST_CASE("DecodeRequest: a JSON array -> bad_request", "[protocol][message]") {
  CHECK(DecodeError("[1,2]").message == "a request must be a JSON object");
}

TEST_CASE("Encoders: result, error, end -> one line each in the documented shape",
          "[protocol][message]") {
  CHECK(EncodeResult(1, json{{"version", "0.1.0"}}) ==
        "{\"id\":1,\"ok\":true,\"result\":{\"version\":\"0.1.0\"}}\n");
  CHECK(EncodeError(nullptr, code::kBadRequest, "missing \"id\"") ==
        "{\"error\":{\"code\":\"bad_request\",\"message\":\"missing \\\"id\\\"\"},\"id\":null,\"ok\":false}\n");
  CHECK(json::parse(EncodeEnd("s")) == json{{"id", "s"}, {"ok", true}, {"end", true}});
  CHECK(EncodeRequest(3, "pid", nullptr) == "{\"args\":{},\"cmd\":\"pid\",\"id\":3}\n");
}

TEST_CASE("EncodeError: extra members -> merged into the error object", "[protocol][message]") {
  auto doc = json::parse(EncodeError(2, code::kConfigError, "2 errors",
                                     json{{"errors", {"a.toml:1:1: x", "a.toml:2:1: y"}}}));
  CHECK(doc["error"]["code"] == "config_error");
  CHECK(doc["error"]["errors"].size() == 2);
}

TEST_CASE("EncodeResult: invalid UTF-8 in a string -> replaced, not thrown", "[protocol][message]") {
  const std::string line = EncodeResult(1, json{{"line", std::string("ab\xff")}});
  CHECK(json::parse(line)["result"]["line"] == "ab\xEF\xBF\xBD");
}

TEST_CASE("DecodeReply: ok, error and end lines -> their fields", "[protocol][message]") {
  auto ok = std::get<Reply>(DecodeReply(R"({"id":1,"ok":true,"result":{"a":1}})"));
  CHECK(ok.ok);
  CHECK_FALSE(ok.end);
  CHECK(ok.result == json{{"a", 1}});
  auto err = std::get<Reply>(
      DecodeReply(R"({"id":2,"ok":false,"error":{"code":"not_found","message":"no program 'wbe'"}})"));
  CHECK_FALSE(err.ok);
  CHECK(err.error_code == "not_found");
  CHECK(err.error_message == "no program 'wbe'");
  auto end = std::get<Reply>(DecodeReply(R"({"id":3,"ok":true,"end":true})"));
  CHECK(end.end);
}

TEST_CASE("DecodeReply: garbage or an ok line without result -> an error text",
          "[protocol][message]") {
  CHECK(std::holds_alternative<std::string>(DecodeReply("nope")));
  CHECK(std::holds_alternative<std::string>(DecodeReply(R"({"id":1,"ok":true})")));
  CHECK(std::holds_alternative<std::string>(DecodeReply(R"({"id":1,"ok":false})")));
}

TEST_CASE("IsErrorCode: the closed set -> true, anything else false", "[protocol][errors]") {
  for (auto c : {"bad_request", "unknown_command", "not_found", "permission_denied", "busy",
                 "shutting_down", "timeout", "failed", "config_error"}) {
    CHECK(IsErrorCode(c));
  }
  CHECK_FALSE(IsErrorCode("oops"));
}

TEST_CASE("EncodeResultText: the result's text written as it is", "[protocol][message]") {
  const std::string line = EncodeResultText(7, R"({"instances":[{"name":"web"}],"supd":{"pid":1}})");
  CHECK(line == "{\"id\":7,\"ok\":true,\"result\":{\"instances\":[{\"name\":\"web\"}],"
                "\"supd\":{\"pid\":1}}}\n");
  CHECK(EncodeResultText("a", "[]") == EncodeResult("a", json::array()));
}
