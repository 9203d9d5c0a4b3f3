#include "protocol/message.h"

#include "protocol/errors.h"

namespace sup::protocol {
namespace {

using nlohmann::json;

std::string Line(const json& j) { return Dump(j) + "\n"; }

}  // namespace

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string IdKey(const json& id) { return Dump(id); }

std::variant<Request, RequestError> DecodeRequest(std::string_view line) {
  json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return RequestError{nullptr, code::kBadRequest, "malformed JSON"};
  }
  if (!doc.is_object()) {
    return RequestError{nullptr, code::kBadRequest, "a request must be a JSON object"};
  }
  const auto id_it = doc.find("id");
  if (id_it == doc.end() || id_it->is_null()) {
    return RequestError{nullptr, code::kBadRequest, "missing \"id\""};
  }
  if (!id_it->is_number_integer() && !id_it->is_string()) {
    return RequestError{nullptr, code::kBadRequest, "\"id\" must be an integer or a string"};
  }
  Request req;
  req.id = *id_it;
  const auto cmd_it = doc.find("cmd");
  if (cmd_it == doc.end()) {
    return RequestError{req.id, code::kBadRequest, "missing \"cmd\""};
  }
  if (!cmd_it->is_string()) {
    return RequestError{req.id, code::kBadRequest, "\"cmd\" must be a string"};
  }
  req.cmd = cmd_it->get<std::string>();
  const auto args_it = doc.find("args");
  if (args_it == doc.end() || args_it->is_null()) {
    req.args = json::object();
  } else if (args_it->is_object()) {
    req.args = std::move(*args_it);
  } else {
    return RequestError{req.id, code::kBadRequest, "\"args\" must be an object"};
  }
  return req;
}

std::string EncodeRequest(const json& id, std::string_view cmd, const json& args) {
  return Line(json{{"id", id}, {"cmd", cmd}, {"args", args.is_null() ? json::object() : args}});
}

std::string EncodeResult(const json& id, const json& result) {
  // Written around the result, not through a wrapping document: that copied the result, and
  // a status of 5 000 instances spent ~10 % of supd's time copying and freeing the copy
  // (perf record, BENCHMARKS.md scale10k).
  return EncodeResultText(id, Dump(result));
}

std::string EncodeResultText(const json& id, std::string_view result_json) {
  std::string line = "{\"id\":" + Dump(id) + ",\"ok\":true,\"result\":";
  line += result_json;
  line += "}\n";
  return line;
}

std::string EncodeError(const json& id, std::string_view code, std::string_view message,
                        const json& extra) {
  json error = json::object();
  if (extra.is_object()) error = extra;
  error["code"] = code;
  error["message"] = message;
  return Line(json{{"id", id}, {"ok", false}, {"error", std::move(error)}});
}

std::string EncodeEnd(const json& id) {
  return Line(json{{"id", id}, {"ok", true}, {"end", true}});
}

std::variant<Reply, std::string> DecodeReply(std::string_view line) {
  json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::string("malformed JSON from supd");
  if (!doc.is_object()) return std::string("reply is not a JSON object");
  const auto ok_it = doc.find("ok");
  if (ok_it == doc.end() || !ok_it->is_boolean()) return std::string("reply without \"ok\"");
  Reply reply;
  reply.id = doc.value("id", json());
  reply.ok = ok_it->get<bool>();
  if (reply.ok) {
    const auto end_it = doc.find("end");
    reply.end = end_it != doc.end() && end_it->is_boolean() && end_it->get<bool>();
    if (!reply.end) {
      const auto result_it = doc.find("result");
      if (result_it == doc.end()) return std::string("reply without \"result\"");
      reply.result = std::move(*result_it);
    }
    return reply;
  }
  const auto error_it = doc.find("error");
  if (error_it == doc.end() || !error_it->is_object()) {
    return std::string("error reply without an \"error\" object");
  }
  reply.error = std::move(*error_it);
  const auto code_it = reply.error.find("code");
  const auto message_it = reply.error.find("message");
  reply.error_code = code_it != reply.error.end() && code_it->is_string() ? code_it->get<std::string>()
                                                                          : std::string(code::kFailed);
  reply.error_message = message_it != reply.error.end() && message_it->is_string()
                            ? message_it->get<std::string>()
                            : reply.error_code;
  return reply;
}

}  // namespace sup::protocol
