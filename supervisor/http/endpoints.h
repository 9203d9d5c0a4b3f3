// The endpoint's routes (SPEC §6, §7): GET/HEAD on /metrics, /healthz and /readyz; 404 for
// any other path, 405 for any other method. Read-only by construction: a route can only
// read through the callables it is given. Pure: no sockets, no loop; the server frames bytes.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http/request_parser.h"

namespace sup::daemon::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
  // Set by a route whose answer is read off the loop (/metrics): the connection calls it with
  // the function that sends the finished response, and waits. The other fields are unused.
  std::function<void(std::function<void(Response)>)> later;
};

// What the routes read. Each runs only for its own path, on the loop thread.
struct Routes {
  // Calls back (on the loop thread, now or later) with the Prometheus text.
  std::function<void(std::function<void(std::string)>)> metrics;
  std::function<std::vector<std::string>()> not_ready;  // "web:0 STARTING: waiting for READY=1"
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

Response Route(const Request& request, const Routes& routes);

// An error page for `status` (400, 404, 405, 414, 431, 500, 503): "404 Not Found\n".
Response ErrorResponse(int status, const std::string& detail = "");

// The bytes on the wire: status line, Content-Type, Content-Length, Connection: close, extra
// headers, then the body unless `head` (HEAD gets the GET's headers without the body).
std::string Serialize(const Response& response, bool head);

const char* ReasonPhrase(int status);

}  // namespace sup::daemon::http
