// RequestParser: one HTTP/1.x request head, fed in pieces as it arrives, parsed by http_parser
// (Debian's libhttp-parser), never by hand. It stops at the end of the headers: the endpoint
// needs no body. Limits decide the error status (414 long URL, 431 long head, 400 malformed).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace sup::daemon::http {

struct Request {
  std::string method;  // "GET", "HEAD", "POST", …
  std::string path;    // the URL's path, without query or fragment ("/metrics")
};

struct ParserLimits {
  std::size_t max_head_bytes = 8 * 1024;  // request line and headers together
  std::size_t max_url_bytes = 2 * 1024;
};

class RequestParser {
 public:
  enum class Outcome { kNeedMore, kComplete, kError };

  explicit RequestParser(ParserLimits limits = {});
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  ~RequestParser();

  // Feeds the next bytes. kComplete: request() is set; kError: error_status() says which 4xx.
  // Once complete or failed, further bytes are ignored (the answer does not depend on them).
  Outcome Feed(std::string_view bytes);
  // The peer closed before the head was complete: kError (400), or kNeedMore if nothing came.
  Outcome Finish();

  const Request& request() const { return request_; }
  int error_status() const { return error_status_; }
  const std::string& error_detail() const { return error_detail_; }

 private:
  struct Impl;  // http_parser state and its callbacks; keeps <http_parser.h> out of this header
  Outcome Fail(int status, std::string detail);

  ParserLimits limits_;
  std::unique_ptr<Impl> impl_;
  Request request_;
  std::size_t head_bytes_ = 0;
  Outcome outcome_ = Outcome::kNeedMore;
  int error_status_ = 0;
  std::string error_detail_;
};

}  // namespace sup::daemon::http
