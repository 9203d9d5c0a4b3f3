// HttpEndpoint: supd's optional HTTP endpoint ([supervisor] http, SPEC §6 and §7) put
// together: the server, the routes, and the figures only the endpoint knows (its clients,
// the loop's lag, supd's /proc figures). What it shows of the programs comes from a
// MetricsSource, which only reads. Loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/http_server.h"
#include "http/loop_lag.h"
#include "http/metrics.h"
#include "sup/base/result.h"

namespace sup::daemon::http {

// Implemented by the daemon (supervisor_source.h). Called at request time only.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  // Every instance, and supd's figures that the daemon knows (version, start time, control
  // clients, notify and forward counts), passed to `done` on the loop thread, now or once
  // what the instances use has been read off the loop; the endpoint fills in the rest of
  // SupdSample.
  virtual void Snapshot(std::function<void(MetricsSnapshot)> done) = 0;
  // The wanted-up instances that /readyz does not count as ready, one line each with what
  // it is doing ("web:0 STARTING: waiting for READY=1"). Empty = ready.
  virtual std::vector<std::string> NotReady() = 0;
};

class HttpEndpoint {
 public:
  // `source` must outlive the endpoint. `options.address` is [supervisor] http.
  HttpEndpoint(uv_loop_t& loop, ServerOptions options, MetricsSource& source);
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;
  ~HttpEndpoint();

  // Binds and listens; logs where it serves, with a warning for a non-loopback address.
  Result<void> Start();
  void Close();

  const HttpServer& server() const { return server_; }

 private:
  Response Handle(const Request& request);
  // Calls `send` with the Prometheus text once the snapshot is read.
  void Render(std::function<void(std::string)> send);
  // The snapshot with the endpoint's own figures, as Prometheus text.
  std::string Finish(MetricsSnapshot snapshot);

  MetricsSource& source_;
  LoopLag lag_;
  HttpServer server_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // for snapshots finishing later
};

}  // namespace sup::daemon::http
