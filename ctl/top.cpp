#include "ctl/top.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "ctl/exit_codes.h"
#include "status/counter_reader.h"
#include "status/segment_reader.h"

namespace sup::ctl {
namespace {

using daemon::CounterValue;
using daemon::Snapshot;

constexpr const char* kClearScreen = "\x1b[H\x1b[2J";

std::uint64_t MonoNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

bool HasProcess(std::uint32_t state) {
  return state == SUP_STATE_STARTING || state == SUP_STATE_RUNNING || state == SUP_STATE_STOPPING;
}

std::string FormatCounters(const std::vector<CounterValue>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ' ';
    out += v.name + "=" +
           (v.kind == SUP_COUNTER_KIND_GAUGE ? std::to_string(v.gauge()) : std::to_string(v.value));
  }
  return out.empty() ? "-" : out;
}

// Reads every instance's counter page; a page that cannot be read shows no counters.
std::map<std::uint32_t, std::vector<CounterValue>> ReadAllCounters(const Snapshot& snap) {
  std::map<std::uint32_t, std::vector<CounterValue>> out;
  for (const auto& slot : snap.slots) {
    if (slot.data.counter_page.empty()) continue;
    if (auto values = daemon::ReadCountersByName(slot.data.counter_page)) out[slot.index] = std::move(*values);
  }
  return out;
}

int ExitCodeFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: return kExitUnreachable;
    case ErrorCode::kPermission: return kExitPermission;
    default: return kExitFailed;
  }
}

}  // namespace

std::string HumanDuration(std::uint64_t ns) {
  const std::uint64_t s = ns / 1'000'000'000u;
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%llus", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof(buf), "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%llud%02lluh", static_cast<unsigned long long>(s / 86400),
                  static_cast<unsigned long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string RenderTop(const Snapshot& snap, const std::map<std::uint32_t, std::vector<CounterValue>>& counters,
                      std::uint64_t now_mono_ns) {
  struct Row {
    std::string cells[8];
  };
  std::vector<Row> rows;
  rows.push_back({{"NAME", "STATE", "PID", "READY", "HEALTH", "RESTARTS", "UPTIME", "COUNTERS"}});
  for (const auto& slot : snap.slots) {
    const auto& d = slot.data;
    const bool running = HasProcess(d.state) && d.pid > 0;
    const auto it = counters.find(slot.index);
    rows.push_back({{d.name, daemon::StateName(d.state), running ? std::to_string(d.pid) : "-",
                     d.ready ? "yes" : "no", daemon::HealthName(d.health), std::to_string(d.restarts),
                     running && d.start_mono_ns > 0 && now_mono_ns >= d.start_mono_ns
                         ? HumanDuration(now_mono_ns - d.start_mono_ns)
                         : "-",
                     it == counters.end() ? "-" : FormatCounters(it->second)}});
  }
  std::size_t width[8] = {};
  for (const auto& r : rows) {
    for (int c = 0; c < 7; ++c) width[c] = std::max(width[c], r.cells[c].size());
  }
  std::ostringstream out;
  const std::uint64_t up = now_mono_ns >= snap.info.supd_start_mono_ns ? now_mono_ns - snap.info.supd_start_mono_ns : 0;
  out << "supd pid " << snap.info.supd_pid << ", up " << HumanDuration(up) << ", "
      << snap.slots.size() << " instance" << (snap.slots.size() == 1 ? "" : "s") << "\n";
  for (const auto& r : rows) {
    std::string line;
    for (int c = 0; c < 8; ++c) {
      line += r.cells[c];
      if (c < 7) line += std::string(width[c] - r.cells[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
  return out.str();
}

int RunTop(const std::string& shm_name, bool once, std::ostream& out) {
  // In place only on a terminal; a pipe or file gets one table after another.
  const bool tty = &out == &std::cout && isatty(STDOUT_FILENO) == 1;
  for (bool first = true;; first = false) {
    auto snap = daemon::ReadNamedSegment(shm_name);
    if (!snap) {
      const Error& e = snap.error();
      std::cerr << "supctl top: " << (first ? e.Message() : "supd is gone (" + e.Message() + ")") << "\n";
      return ExitCodeFor(e);
    }
    const std::string table = RenderTop(*snap, ReadAllCounters(*snap), MonoNowNs());
    if (once) {
      out << table << std::flush;
      return kExitOk;
    }
    if (tty) out << kClearScreen;
    else if (!first) out << "\n";
    out << table << std::flush;
    timespec second{1, 0};
    while (nanosleep(&second, &second) != 0) {
    }
  }
}

}  // namespace sup::ctl
