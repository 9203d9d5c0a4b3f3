// What one instance's health check probes (HealthTarget, already expanded per instance) and
// the pure parsing of its tcp "host:port" and http "http://host[:port][/path]" strings.
// No libuv here: the probes (exec_probe.h, net_probe.h) consume these values.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "sup/base/result.h"
#include "sup/conf/config.h"

namespace sup::daemon {

struct HealthTarget {
  conf::HealthSpec spec;               // kind, interval, timeout, retries, start_period, ...
  std::vector<std::string> exec_argv;  // InstanceSpec::health_exec
  std::string tcp;                     // InstanceSpec::health_tcp: "host:port"
  std::string http;                    // InstanceSpec::health_http: "http://host[:port]/path"
  std::vector<std::string> exec_env;   // "K=V", final (BuildEnvironment), for exec probes
  // Exec probes run like the program itself when these are set (default: as supd, in its cwd).
  std::string exec_directory;
  std::optional<uid_t> exec_uid;
  std::optional<gid_t> exec_gid;
  std::string exec_user;  // with exec_uid: supplementary groups (initgroups)
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:80". The port must be 1..65535.
struct HostPort {
  std::string host;  // without brackets
  int port = 0;
  bool operator==(const HostPort&) const = default;
};
Result<HostPort> ParseHostPort(const std::string& text);

// "http://host[:port][/path[?query]]": port 80 and path "/" by default.
struct HttpUrl {
  HostPort address;
  std::string path;
  bool operator==(const HttpUrl&) const = default;
};
Result<HttpUrl> ParseHttpUrl(const std::string& url);

// "GET /path HTTP/1.0\r\nHost: host[:port]\r\nConnection: close\r\n\r\n".
std::string HttpRequestText(const HttpUrl& url);

// The status code of a complete status line ("HTTP/1.1 200 OK"), or nullopt if `line` is not one.
std::optional<int> ParseHttpStatusLine(const std::string& line);

}  // namespace sup::daemon
