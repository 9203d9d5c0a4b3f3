#include "http/http_endpoint.h"

#include <spdlog/spdlog.h>

#include "http/endpoints.h"
#include "http/process_figures.h"

namespace sup::daemon::http {

HttpEndpoint::HttpEndpoint(uv_loop_t& loop, ServerOptions options, MetricsSource& source)
    : source_(source),
      lag_(loop),
      server_(loop, std::move(options), [this](const Request& r) { return Handle(r); }) {}

HttpEndpoint::~HttpEndpoint() { Close(); }

Result<void> HttpEndpoint::Start() {
  if (auto r = server_.Start(); !r) return r;
  if (server_.loopback()) {
    spdlog::info("http: serving /metrics, /healthz and /readyz on {}", server_.bound());
  } else {
    spdlog::warn("http: serving /metrics, /healthz and /readyz on {}, which is not a loopback "
                 "address: anyone who can reach it can read every program's state and counters",
                 server_.bound());
  }
  return {};
}

void HttpEndpoint::Close() { server_.Close(); }

Response HttpEndpoint::Handle(const Request& request) {
  spdlog::debug("http: {} {}", request.method, request.path);
  Routes routes;
  routes.metrics = [this](std::function<void(std::string)> send) { Render(std::move(send)); };
  routes.not_ready = [this] { return source_.NotReady(); };
  return Route(request, routes);
}

void HttpEndpoint::Render(std::function<void(std::string)> send) {
  source_.Snapshot([this, alive = std::weak_ptr<int>(alive_), send = std::move(send)](MetricsSnapshot snapshot) {
    if (!alive.expired()) send(Finish(std::move(snapshot)));
  });
}

std::string HttpEndpoint::Finish(MetricsSnapshot snapshot) {
  SupdSample& supd = snapshot.supd;
  const ProcessFigures process = ReadProcessFigures();
  supd.resident_bytes = process.resident_bytes;
  supd.virtual_bytes = process.virtual_bytes;
  supd.cpu_seconds = process.cpu_seconds;
  supd.open_fds = process.open_fds;
  supd.max_fds = process.max_fds;
  supd.http_clients = server_.connections();
  supd.loop_lag_s = lag_.TakeMax();
  return RenderMetrics(snapshot);
}

}  // namespace sup::daemon::http
