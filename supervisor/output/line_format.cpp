#include "output/line_format.h"

#include <ctime>

#include <nlohmann/json.hpp>

namespace sup::daemon::output {

const char* StreamName(Stream s) { return s == Stream::kStderr ? "stderr" : "stdout"; }

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string ForwardPrefix(std::string_view name, std::size_t width) {
  std::string out(name);
  if (out.size() < width) out.append(width - out.size(), ' ');
  out += " | ";
  return out;
}

void AppendJsonLine(std::string& out, std::string_view time, std::string_view program,
                    int instance, Stream stream, std::string_view line) {
  const nlohmann::json j = {{"time", time},
                            {"program", program},
                            {"instance", instance},
                            {"stream", StreamName(stream)},
                            {"line", line}};
  out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += '\n';
}

}  // namespace sup::daemon::output
