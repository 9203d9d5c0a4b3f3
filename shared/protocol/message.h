// Encoding and decoding of the control protocol's lines (SPEC §6): requests
// {"id","cmd","args"} and replies {"id","ok","result"|"error"|"end"}. Pure functions.
// Every encoder returns one complete line, '\n' included; invalid UTF-8 in strings (a
// program's log line) is replaced with U+FFFD rather than failing the whole reply.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace sup::protocol {

struct Request {
  nlohmann::json id;    // integer or string, echoed in every reply
  std::string cmd;
  nlohmann::json args;  // always an object ({} when absent or null)
};

// Why a line is not a valid request. `id` is the request's id when it could be read
// (a valid id with a bad cmd/args), else null.
struct RequestError {
  nlohmann::json id;
  std::string_view code;  // code::kBadRequest
  std::string message;
};

std::variant<Request, RequestError> DecodeRequest(std::string_view line);

// A map key that tells 1 from "1": the id's compact JSON text.
std::string IdKey(const nlohmann::json& id);

std::string EncodeRequest(const nlohmann::json& id, std::string_view cmd,
                          const nlohmann::json& args);
// {"id":ID,"ok":true,"result":RESULT}: a single reply, and also one item of a stream.
std::string EncodeResult(const nlohmann::json& id, const nlohmann::json& result);
// The same with RESULT already JSON text (JsonWriter), written as it is.
std::string EncodeResultText(const nlohmann::json& id, std::string_view result_json);
// {"id":ID,"ok":false,"error":{"code","message", …extra's members}}.
std::string EncodeError(const nlohmann::json& id, std::string_view code, std::string_view message,
                        const nlohmann::json& extra = {});
// {"id":ID,"ok":true,"end":true}: the last line of a stream.
std::string EncodeEnd(const nlohmann::json& id);

// One reply line as the client sees it.
struct Reply {
  nlohmann::json id;
  bool ok = false;
  bool end = false;             // the stream's end marker
  nlohmann::json result;        // ok && !end
  nlohmann::json error;         // !ok: the whole error object
  std::string error_code;       // !ok: error.code
  std::string error_message;    // !ok: error.message
};

// Fails (std::string: what is wrong) on malformed JSON or a line that is not a reply.
std::variant<Reply, std::string> DecodeReply(std::string_view line);

// Compact JSON text with invalid UTF-8 replaced; the single place that calls dump().
std::string Dump(const nlohmann::json& j);

}  // namespace sup::protocol
