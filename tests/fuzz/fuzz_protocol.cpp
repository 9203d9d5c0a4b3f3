// libFuzzer target: the control protocol as supd reads it from an untrusted client. Bytes go
// through a LineFramer in fuzzer-chosen chunks with a fuzzer-chosen bound, every line through
// DecodeRequest (and DecodeReply, supctl's side). Invariants beyond "no crash": the framer
// never holds more than its bound, a line never exceeds it or contains '\n'; a decoded request
// has an integer or string id and object args and survives an encode/decode round trip; an
// error reply built from any message (invalid UTF-8 included) decodes as that error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/errors.h"
#include "protocol/line_framer.h"
#include "protocol/message.h"

namespace {

namespace proto = sup::protocol;

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckLine(const std::string& line) {
  const auto decoded = proto::DecodeRequest(line);
  if (const auto* req = std::get_if<proto::Request>(&decoded)) {
    Require(req->id.is_number_integer() || req->id.is_string());
    Require(req->args.is_object());
    (void)proto::IdKey(req->id);
    const std::string again = proto::EncodeRequest(req->id, req->cmd, req->args);
    Require(!again.empty() && again.back() == '\n');
    const auto round = proto::DecodeRequest(std::string_view(again).substr(0, again.size() - 1));
    const auto* req2 = std::get_if<proto::Request>(&round);
    Require(req2 != nullptr && req2->cmd == req->cmd && proto::IdKey(req2->id) == proto::IdKey(req->id));
  } else {
    const auto& err = std::get<proto::RequestError>(decoded);
    Require(proto::IsErrorCode(err.code));
    Require(err.id.is_null() || err.id.is_number_integer() || err.id.is_string());
    // What supd sends back: the raw line as the message must still make a valid reply.
    const std::string reply = proto::EncodeError(err.id, err.code, line);
    const auto back = proto::DecodeReply(std::string_view(reply).substr(0, reply.size() - 1));
    const auto* r = std::get_if<proto::Reply>(&back);
    Require(r != nullptr && !r->ok && r->error_code == err.code);
  }
  const auto reply = proto::DecodeReply(line);
  if (const auto* r = std::get_if<proto::Reply>(&reply)) {
    (void)proto::Dump(r->result);
    (void)proto::Dump(r->error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Byte 0: the bound (1..256, small so that oversize lines are common); byte 1: chunk size.
  const std::size_t max_line = 1 + data[0];
  const std::size_t chunk = 1 + data[1] % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  proto::LineFramer framer(max_line);
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    for (const auto& item : framer.Feed(bytes.substr(at, chunk))) {
      if (item.oversize) {
        Require(item.line.empty());
        continue;
      }
      Require(item.line.size() <= max_line);
      Require(item.line.find('\n') == std::string::npos);
      CheckLine(item.line);
    }
    Require(framer.buffered() <= max_line);
  }
  // The whole input as one line too: JSON the framer's small bound would have cut.
  if (bytes.find('\n') == std::string_view::npos) CheckLine(std::string(bytes));
  return 0;
}
