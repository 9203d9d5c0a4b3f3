#include "control/log_stream.h"

#include <algorithm>
#include <stdexcept>

#include "core/instance.h"
#include "output/line_format.h"

namespace sup::daemon::control {
namespace {

nlohmann::json Line(const std::string& name, output::Stream stream,
                    std::chrono::system_clock::time_point time, std::string_view line) {
  return {{"name", name},
          {"stream", output::StreamName(stream)},
          {"time", output::FormatRfc3339(time)},
          {"line", std::string(line)}};
}

}  // namespace

void LogStreams::Serve(std::shared_ptr<Call> call, const nlohmann::json& args,
                       const std::vector<Instance*>& instances) {
  std::size_t lines = 50;
  if (args.contains("lines")) {
    if (!args["lines"].is_number_integer() || args["lines"].get<long long>() < 0)
      throw std::invalid_argument("args.lines must be a non-negative integer");
    lines = args["lines"].get<std::size_t>();
  }
  std::optional<output::Stream> only;
  const std::string stream = args.value("stream", std::string("both"));
  if (stream == "stdout") only = output::Stream::kStdout;
  else if (stream == "stderr") only = output::Stream::kStderr;
  else if (stream != "both") throw std::invalid_argument("args.stream must be both, stdout or stderr");
  const bool follow = args.value("follow", false);

  struct Tagged {
    const Instance* instance;
    output::LogRecord record;
  };
  std::vector<Tagged> tail;
  for (const auto* i : instances)
    for (auto& r : i->output().Tail(lines, only)) tail.push_back({i, std::move(r)});
  std::stable_sort(tail.begin(), tail.end(),
                   [](const Tagged& a, const Tagged& b) { return a.record.time < b.record.time; });
  const std::size_t skip = tail.size() > lines ? tail.size() - lines : 0;
  for (std::size_t k = skip; k < tail.size(); ++k)
    call->Emit(Line(tail[k].instance->name(), tail[k].record.stream, tail[k].record.time,
                    tail[k].record.line));
  if (!follow) return call->End();
  std::set<std::string> names;
  for (const auto* i : instances) names.insert(i->name());
  followers_.push_back({std::move(call), std::move(names), only});
}

bool LogStreams::FollowsOutput(const std::string& instance) const {
  return std::any_of(followers_.begin(), followers_.end(), [&](const Follower& f) {
    return f.call->open() && f.names.count(instance);
  });
}

void LogStreams::OnOutputLine(const std::string& instance, output::Stream stream,
                              std::chrono::system_clock::time_point time, std::string_view line) {
  std::erase_if(followers_, [](const Follower& f) { return !f.call->open(); });
  for (auto& f : followers_) {
    if (!f.names.count(instance) || (f.only && *f.only != stream)) continue;
    f.call->Emit(Line(instance, stream, time, line));
  }
}

}  // namespace sup::daemon::control
