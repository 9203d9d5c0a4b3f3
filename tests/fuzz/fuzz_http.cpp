// libFuzzer target: the HTTP endpoint's request parser, which reads whatever a peer of
// [supervisor] http sends. The first byte picks the chunk size the bytes arrive in (1..256),
// the rest is the stream. Invariants beyond "no crash": an error is one of the three statuses
// the endpoint answers (400, 414, 431); a complete request has a method and a path; and the
// request does not depend on how the bytes were cut: fed whole and fed in chunks, two parses
// that both complete agree on method and path.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_parser.h"

namespace {

namespace http = sup::daemon::http;

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckOutcome(const http::RequestParser& parser, http::RequestParser::Outcome outcome) {
  using Outcome = http::RequestParser::Outcome;
  if (outcome == Outcome::kError) {
    const int status = parser.error_status();
    Require(status == 400 || status == 414 || status == 431);
    Require(!parser.error_detail().empty());
  } else if (outcome == Outcome::kComplete) {
    Require(!parser.request().method.empty());
    Require(!parser.request().path.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  using Outcome = http::RequestParser::Outcome;

  http::RequestParser whole;
  Outcome whole_outcome = whole.Feed(stream);
  if (whole_outcome == Outcome::kNeedMore) whole_outcome = whole.Finish();
  CheckOutcome(whole, whole_outcome);

  http::RequestParser pieces;
  Outcome outcome = Outcome::kNeedMore;
  for (std::size_t at = 0; at < stream.size() && outcome == Outcome::kNeedMore; at += chunk)
    outcome = pieces.Feed(stream.substr(at, chunk));
  if (outcome == Outcome::kNeedMore) outcome = pieces.Finish();
  CheckOutcome(pieces, outcome);

  if (whole_outcome == Outcome::kComplete && outcome == Outcome::kComplete) {
    Require(whole.request().method == pieces.request().method);
    Require(whole.request().path == pieces.request().path);
  }
  return 0;
}
