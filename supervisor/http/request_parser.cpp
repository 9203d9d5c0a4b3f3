#include "http/request_parser.h"

#include <http_parser.h>

#include <utility>

namespace sup::daemon::http {

struct RequestParser::Impl {
  http_parser parser{};
  std::string url;
  std::size_t max_url = 0;
  bool url_too_long = false;
  bool head_done = false;

  static Impl& Of(http_parser* p) { return *static_cast<Impl*>(p->data); }

  static int OnUrl(http_parser* p, const char* at, std::size_t length) {
    Impl& self = Of(p);
    if (self.url.size() + length > self.max_url) {
      self.url_too_long = true;
      return 1;  // halts the parser (HPE_CB_url)
    }
    self.url.append(at, length);
    return 0;
  }

  // The head is all the endpoint needs: pausing makes http_parser_execute return here, before
  // any body, and leaves the parser in HPE_PAUSED.
  static int OnHeadersComplete(http_parser* p) {
    Of(p).head_done = true;
    http_parser_pause(p, 1);
    return 0;
  }

  static const http_parser_settings& Settings() {
    static const http_parser_settings settings = [] {
      http_parser_settings s{};
      http_parser_settings_init(&s);
      s.on_url = &Impl::OnUrl;
      s.on_headers_complete = &Impl::OnHeadersComplete;
      return s;
    }();
    return settings;
  }
};

namespace {

// "/metrics?x=1" -> "/metrics"; also the absolute form "http://host:9100/metrics".
bool ExtractPath(const std::string& url, bool is_connect, std::string& path) {
  if (url == "*") {  // OPTIONS *
    path = url;
    return true;
  }
  http_parser_url parts;
  http_parser_url_init(&parts);
  if (http_parser_parse_url(url.data(), url.size(), is_connect ? 1 : 0, &parts) != 0) return false;
  if ((parts.field_set & (1 << UF_PATH)) == 0) {
    path = "/";
    return true;
  }
  path = url.substr(parts.field_data[UF_PATH].off, parts.field_data[UF_PATH].len);
  return true;
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits), impl_(std::make_unique<Impl>()) {
  http_parser_init(&impl_->parser, HTTP_REQUEST);
  impl_->parser.data = impl_.get();
  impl_->max_url = limits_.max_url_bytes;
}

RequestParser::~RequestParser() = default;

RequestParser::Outcome RequestParser::Fail(int status, std::string detail) {
  outcome_ = Outcome::kError;
  error_status_ = status;
  error_detail_ = std::move(detail);
  return outcome_;
}

RequestParser::Outcome RequestParser::Feed(std::string_view bytes) {
  if (outcome_ != Outcome::kNeedMore || bytes.empty()) return outcome_;
  http_parser& p = impl_->parser;
  const std::size_t used = http_parser_execute(&p, &Impl::Settings(), bytes.data(), bytes.size());
  if (impl_->url_too_long)
    return Fail(414, "URL longer than " + std::to_string(limits_.max_url_bytes) + " bytes");
  if (impl_->head_done) {
    head_bytes_ += used;
    if (head_bytes_ > limits_.max_head_bytes)
      return Fail(431, "request head longer than " + std::to_string(limits_.max_head_bytes) + " bytes");
    request_.method = http_method_str(static_cast<http_method>(p.method));
    if (!ExtractPath(impl_->url, p.method == HTTP_CONNECT, request_.path))
      return Fail(400, "malformed URL");
    outcome_ = Outcome::kComplete;
    return outcome_;
  }
  const auto err = static_cast<http_errno>(p.http_errno);
  if (err == HPE_HEADER_OVERFLOW)
    return Fail(431, "request head longer than " + std::to_string(limits_.max_head_bytes) + " bytes");
  if (err != HPE_OK) return Fail(400, http_errno_description(err));
  head_bytes_ += bytes.size();
  if (head_bytes_ > limits_.max_head_bytes)
    return Fail(431, "request head longer than " + std::to_string(limits_.max_head_bytes) + " bytes");
  return outcome_;
}

RequestParser::Outcome RequestParser::Finish() {
  if (outcome_ != Outcome::kNeedMore || head_bytes_ == 0) return outcome_;
  return Fail(400, "connection closed before the end of the request head");
}

}  // namespace sup::daemon::http
