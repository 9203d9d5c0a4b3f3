#include "health/health_target.h"

#include <cctype>
#include <charconv>
#include <string_view>

namespace sup::daemon {
namespace {

Unexpected<Error> Invalid(std::string what) {
  return Fail(Error{ErrorCode::kInvalidConfig, 0, std::move(what)});
}

}  // namespace

Result<HostPort> ParseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Invalid("\"" + text + "\" is not host:port");
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return Invalid("\"" + text + "\": unbalanced [ ]");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return Invalid("\"" + text + "\": an IPv6 address needs [ ]");
  }
  const std::string digits = text.substr(colon + 1);
  int port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535)
    return Invalid("\"" + text + "\": bad port \"" + digits + "\"");
  return HostPort{std::move(host), port};
}

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  static constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() || url.compare(0, kScheme.size(), kScheme) != 0)
    return Invalid("\"" + url + "\" is not an http:// URL");
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (const size_t hash = path.find('#'); hash != std::string::npos) path.erase(hash);
  if (path.empty() || path.front() != '/') path.insert(0, "/");
  if (authority.find('@') != std::string::npos) return Invalid("\"" + url + "\": user info is not supported");
  if (authority.empty()) return Invalid("\"" + url + "\" has no host");
  // A port is present when the last ':' comes after any IPv6 closing bracket.
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.rfind(']');
  const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (!has_port) authority += ":80";
  auto address = ParseHostPort(authority);
  if (!address) return Invalid("\"" + url + "\": " + address.error().context);
  for (char c : path) {
    if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ')
      return Invalid("\"" + url + "\": the path holds a space or control character");
  }
  return HttpUrl{std::move(*address), std::move(path)};
}

std::string HttpRequestText(const HttpUrl& url) {
  std::string host = url.address.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  if (url.address.port != 80) host += ":" + std::to_string(url.address.port);
  return "GET " + url.path + " HTTP/1.0\r\nHost: " + host +
         "\r\nUser-Agent: supd-health\r\nConnection: close\r\n\r\n";
}

std::optional<int> ParseHttpStatusLine(const std::string& line) {
  // "HTTP/1.x NNN[ reason]": the version digits are not checked beyond their shape.
  static constexpr std::string_view kPrefix = "HTTP/";
  if (line.size() < kPrefix.size() + 7 || line.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  const size_t space = line.find(' ', kPrefix.size());
  if (space == std::string::npos || space + 4 > line.size()) return std::nullopt;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return std::nullopt;
    code = code * 10 + (line[i] - '0');
  }
  if (space + 4 < line.size() && line[space + 4] != ' ') return std::nullopt;
  if (code < 100) return std::nullopt;
  return code;
}

}  // namespace sup::daemon
