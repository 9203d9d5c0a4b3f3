// supd's own log: spdlog to stderr, text or JSON lines, written by its own thread behind a
// bounded queue (log_writer.h), so that a blocked stderr can never stall the event loop.
#pragma once

#include <string>

namespace sup::daemon {

enum class LogFormat { kText, kJson };

// Whether `level` is an spdlog level name that SetUpLogging accepts.
bool IsLogLevel(const std::string& level);
// Installs the default logger and starts its writer thread. `level` is an spdlog level name
// ("info", "debug", …); returns false for an unknown level.
bool SetUpLogging(const std::string& level, LogFormat format);
// Flushes and stops the async logger (before exit).
void ShutDownLogging();
// Writes every queued line on the calling thread, for a process about to _exit (whose
// writer thread then ends with it): StderrWriterSink::WriteQueuedHere.
void WriteLogsBeforeExit();
// The event loop's side of StderrWriterSink::DeferWakeUpsOn: DeferLogWakeUps(true) on the
// loop thread before it runs, WakeLogWriter() each time the loop is about to wait (a
// BeforeWait hook), DeferLogWakeUps(false) once the loop is over.
void DeferLogWakeUps(bool on);
void WakeLogWriter();

}  // namespace sup::daemon
