// The interactive `supctl top` (SPEC §9.3): a poll() loop over the keyboard, the terminal's
// signals and, while the log view is open, one `logs -f` stream. It redraws when a key or a
// signal arrives and once a second from a fresh snapshot of the status segment; actions are
// one control request each on a fresh connection, so supd's permission rules apply as they
// do to `supctl stop`, and a denial lands in the status line.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <sstream>

#include "ctl/exit_codes.h"
#include "ctl/render.h"
#include "ctl/session.h"
#include "ctl/terminal.h"
#include "ctl/top.h"
#include "ctl/top_interactive.h"
#include "ctl/top_screen.h"
#include "protocol/client.h"
#include "status/segment_reader.h"

namespace sup::ctl {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kRefresh = std::chrono::seconds(1);

// A program's bytes must not drive the terminal: control characters become '?'.
std::string Printable(std::string line) {
  for (char& c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\t') c = ' ';
    else if (u < 0x20 || u == 0x7f) c = '?';
  }
  return line;
}

// supctl's error text without its "supctl: " prefix and newlines, for the status line.
std::string StatusLineText(const std::string& printed) {
  std::string text = printed;
  if (text.rfind("supctl: ", 0) == 0) text.erase(0, 8);
  for (char& c : text)
    if (c == '\n') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// One `logs -f` stream of one instance, read without blocking the loop.
class LogFollower {
 public:
  // The stream, or why it could not start.
  static std::variant<LogFollower, std::string> Open(const std::string& socket, const std::string& name,
                                                     std::size_t lines) {
    auto client = protocol::Client::Connect(socket);
    if (!client) {
      std::ostringstream why;
      ReportConnectError(client.error(), socket, why);
      return StatusLineText(why.str());
    }
    auto id = client->Send("logs", json{{"select", json::array({name})},
                                        {"lines", lines},
                                        {"follow", true},
                                        {"stream", "both"}});
    if (!id) return id.error().Message();
    return LogFollower(std::move(*client), std::move(*id));
  }

  int fd() const { return client_.fd(); }

  // Every item that has arrived, through `on_line`. A string when the stream is over (an
  // error reply such as permission_denied, the end marker, or a lost connection).
  std::optional<std::string> Drain(const std::function<void(std::string)>& on_line) {
    for (;;) {
      auto reply = client_.Read(id_, std::chrono::milliseconds(0));
      if (!reply) {
        if (reply.error().code == ErrorCode::kBusy) return std::nullopt;  // nothing more now
        return "log stream lost: " + reply.error().Message();
      }
      if (!reply->ok) return reply->error_message;
      if (reply->end) return "log stream ended";
      on_line(Printable(RenderLogLine(reply->result, Style{false})));
    }
  }

 private:
  LogFollower(protocol::Client client, json id) : client_(std::move(client)), id_(std::move(id)) {}
  protocol::Client client_;
  json id_;
};

// start/stop/restart `name` without waiting: the status line's text, and whether it failed.
std::pair<std::string, bool> Act(const std::string& socket, const std::string& verb, const std::string& name) {
  std::ostringstream err;
  auto session = Session::Open(socket, err);
  if (std::holds_alternative<int>(session)) return {StatusLineText(err.str()), true};
  json args{{"select", json::array({name})}, {"wait", false}, {"timeout_ms", 0}};
  if (verb == "restart") args["with_dependants"] = false;
  auto result = std::get<Session>(session).Call(WireRequest{verb, args, false});
  if (std::holds_alternative<int>(result)) return {StatusLineText(err.str()), true};
  std::string state = "?";
  for (const auto& inst : std::get<json>(result).value("instances", json::array()))
    state = inst.value("state", "?");
  return {name + ": " + verb + " requested (now " + state + ")", false};
}

}  // namespace

int RunInteractiveTop(const std::string& shm_name, const std::string& socket, bool colour) {
  auto snap = daemon::ReadNamedSegment(shm_name);
  if (!snap) {
    std::cerr << "supctl top: " << snap.error().Message() << "\n";
    return TopExitCode(snap.error());
  }
  std::string gone;  // why the loop ended, printed once the terminal is restored
  int code = kExitOk;
  {
    Terminal term;
    if (!term.ok()) return PrintTopSnapshot(shm_name, std::cout, TerminalSize(STDOUT_FILENO).columns);
    TopScreen screen;
    std::optional<LogFollower> log;
    CountersBySlot counters = ReadAllCounters(*snap);
    UsageBySlot usage = ReadAllUsage(*snap);
    auto next_refresh = SteadyClock::now() + kRefresh;
    WindowSize size = TerminalSize(STDOUT_FILENO);
    std::vector<TopRow> rows;
    // The rows shown, after a refresh or a key that changed the filter (keys typed quickly
    // arrive in one read, and `l` after `/web:0⏎` must act on what the filter left).
    auto update_rows = [&](std::uint64_t now) {
      rows = VisibleRows(TopRows(*snap, counters, now, usage), screen.filter);
      KeepSelectionVisible(screen, rows, size.rows > 3 ? size.rows - 3 : 0);
    };
    for (bool quit = false; !quit;) {
      const std::uint64_t now = MonoNowNs();
      update_rows(now);
      term.Write(RenderFrame(screen, TopHeadline(*snap, now), rows, size.columns, size.rows, colour));

      pollfd fds[3] = {{STDIN_FILENO, POLLIN, 0}, {term.signal_fd(), POLLIN, 0}, {log ? log->fd() : -1, POLLIN, 0}};
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_refresh - SteadyClock::now());
      const int ready = ::poll(fds, 3, wait.count() > 0 ? static_cast<int>(wait.count()) : 0);
      if (ready < 0 && errno != EINTR) break;
      if (fds[1].revents & POLLIN) {
        const auto signals = term.DrainSignals();
        if (signals.quit) break;
        if (signals.resized) size = TerminalSize(STDOUT_FILENO);
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[256];
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;  // the terminal went away
        for (const Key& key : DecodeKeys(std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0))) {
          const std::string filter = screen.filter;
          const TopCommand cmd = HandleKey(screen, key, rows);
          if (screen.filter != filter) update_rows(now);
          switch (cmd.kind) {
            case TopCommand::Kind::kQuit: quit = true; break;
            case TopCommand::Kind::kAction: {
              auto [text, failed] = Act(socket, cmd.verb, cmd.name);
              screen.message = text;
              screen.message_is_error = failed;
              next_refresh = SteadyClock::now();  // show the new state at once
              break;
            }
            case TopCommand::Kind::kOpenLog: {
              auto opened = LogFollower::Open(socket, cmd.name, size.rows);
              if (auto* why = std::get_if<std::string>(&opened)) {
                screen.message = *why;
                screen.message_is_error = true;
              } else {
                log.emplace(std::move(std::get<LogFollower>(opened)));
              }
              break;
            }
            case TopCommand::Kind::kCloseLog: log.reset(); break;
            case TopCommand::Kind::kNone: break;
          }
          if (quit) break;
        }
      }
      if (log && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (auto over = log->Drain([&screen](std::string line) { AddLogLine(screen, std::move(line)); })) {
          screen.message = *over;
          screen.message_is_error = true;
          log.reset();
        }
      }
      if (SteadyClock::now() >= next_refresh) {
        auto fresh = daemon::ReadNamedSegment(shm_name);
        if (!fresh) {
          gone = "supd is gone (" + fresh.error().Message() + ")";
          code = TopExitCode(fresh.error());
          break;
        }
        snap = std::move(fresh);
        counters = ReadAllCounters(*snap);
        usage = ReadAllUsage(*snap, usage);
        next_refresh = SteadyClock::now() + kRefresh;
      }
    }
  }  // the terminal is restored here
  if (!gone.empty()) std::cerr << "supctl top: " << gone << "\n";
  return code;
}

}  // namespace sup::ctl
