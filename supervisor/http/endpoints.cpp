#include "http/endpoints.h"

namespace sup::daemon::http {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

Response ErrorResponse(int status, const std::string& detail) {
  Response r;
  r.status = status;
  r.body = std::to_string(status) + " " + ReasonPhrase(status) + "\n";
  if (!detail.empty()) r.body += detail + "\n";
  if (status == 405) r.headers.emplace_back("Allow", "GET, HEAD");
  return r;
}

Response Route(const Request& request, const Routes& routes) {
  const std::string& path = request.path;
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") return ErrorResponse(404);
  if (request.method != "GET" && request.method != "HEAD") return ErrorResponse(405);

  Response r;
  if (path == "/healthz") {
    r.body = "ok\n";  // answered by the loop itself: it runs
  } else if (path == "/readyz") {
    const auto not_ready = routes.not_ready ? routes.not_ready() : std::vector<std::string>{};
    if (not_ready.empty()) {
      r.body = "ready\n";
    } else {
      r.status = 503;
      r.body = "not ready:\n";
      for (const auto& line : not_ready) r.body += line + "\n";
    }
  } else {
    r.content_type = kMetricsContentType;
    if (routes.metrics)
      r.later = [metrics = routes.metrics, ready = r](std::function<void(Response)> send) {
        metrics([ready, send = std::move(send)](std::string body) mutable {
          ready.body = std::move(body);
          send(std::move(ready));
        });
      };
  }
  return r;
}

std::string Serialize(const Response& response, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    ReasonPhrase(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\n";
  out += "Connection: close\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (!head) out += response.body;
  return out;
}

}  // namespace sup::daemon::http
