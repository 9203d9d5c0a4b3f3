#include "logging/logging.h"

#include "logging/log_writer.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace sup::daemon {
namespace {

// The sink whose wake-ups the loop defers: looked up once, not at every loop iteration.
// Loop thread only; null while nothing is deferred.
StderrWriterSink* deferring_sink = nullptr;

// %* : the message as a JSON string literal (quotes included), for --log-format json.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string quoted = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

bool IsLogLevel(const std::string& level) {
  return spdlog::level::from_str(level) != spdlog::level::off || level == "off";
}

bool SetUpLogging(const std::string& level, LogFormat format) {
  if (!IsLogLevel(level)) return false;
  const auto parsed = spdlog::level::from_str(level);
  auto sink = std::make_shared<StderrWriterSink>();
  auto logger = std::make_shared<spdlog::logger>("supd", sink);
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      spdlog::pattern_time_type::utc);
  if (format == LogFormat::kJson) {
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%*})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ supd %l: %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

void ShutDownLogging() {
  DeferLogWakeUps(false);
  spdlog::shutdown();
}

void WriteLogsBeforeExit() {
  if (auto logger = spdlog::default_logger())
    for (const auto& sink : logger->sinks())
      if (auto* ours = dynamic_cast<StderrWriterSink*>(sink.get())) ours->WriteQueuedHere();
}

void DeferLogWakeUps(bool on) {
  if (deferring_sink) deferring_sink->DeferWakeUpsOn(std::thread::id());
  deferring_sink = nullptr;
  if (!on) return;
  if (auto logger = spdlog::default_logger())
    for (const auto& sink : logger->sinks())
      if (auto* ours = dynamic_cast<StderrWriterSink*>(sink.get())) deferring_sink = ours;
  if (deferring_sink) deferring_sink->DeferWakeUpsOn(std::this_thread::get_id());
}

void WakeLogWriter() {
  if (deferring_sink) deferring_sink->WakeIfPending();
}

}  // namespace sup::daemon
