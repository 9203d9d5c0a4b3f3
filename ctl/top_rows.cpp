#include "ctl/top_rows.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "resources/proc_usage.h"
#include "resources/size_text.h"
#include "status/counter_reader.h"

namespace sup::ctl {
namespace {

using daemon::CounterValue;
using daemon::Snapshot;

bool HasProcess(std::uint32_t state) {
  return state == SUP_STATE_STARTING || state == SUP_STATE_RUNNING || state == SUP_STATE_STOPPING;
}

const char* StateSgr(std::uint32_t state) {
  switch (state) {
    case SUP_STATE_RUNNING: return "32";
    case SUP_STATE_FATAL: return "31";
    case SUP_STATE_STARTING:
    case SUP_STATE_STOPPING:
    case SUP_STATE_BACKOFF: return "33";
    default: return "";
  }
}

// As `status` shows it: readiness, then the health verdict when a check gave one. A program
// without a health check (or before its first verdict) has no "/…" part: never "unknown".
std::string ReadyCell(const daemon::SlotData& d) {
  std::string out = d.ready ? "ready" : "-";
  if (d.health == SUP_HEALTH_HEALTHY) out += "/healthy";
  if (d.health == SUP_HEALTH_UNHEALTHY) out += "/unhealthy";
  return out;
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

}  // namespace

const std::vector<TopColumn>& TopColumns() {
  static const std::vector<TopColumn> kColumns = {
      {"NAME", &TopRow::name, false},         {"STATE", &TopRow::state, false},
      {"PID", &TopRow::pid, true},            {"CPU%", &TopRow::cpu, true},
      {"MEM", &TopRow::mem, true},            {"UPTIME", &TopRow::uptime, true},
      {"RESTARTS", &TopRow::restarts, true},  {"READY", &TopRow::ready, false},
      {"COUNTERS", &TopRow::counters, false},
  };
  return kColumns;
}

std::uint64_t MonoNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string HumanDuration(std::uint64_t ns) {
  const std::uint64_t s = ns / 1'000'000'000u;
  char buf[32];
  const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%llus", u(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%llum%02llus", u(s / 60), u(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof(buf), "%lluh%02llum", u(s / 3600), u(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%llud%02lluh", u(s / 86400), u(s % 86400 / 3600));
  }
  return buf;
}

CountersBySlot ReadAllCounters(const Snapshot& snap) {
  CountersBySlot out;
  for (const auto& slot : snap.slots) {
    if (slot.data.counter_page.empty()) continue;
    if (auto values = daemon::ReadCountersByName(slot.data.counter_page)) out[slot.index] = std::move(*values);
  }
  return out;
}

UsageBySlot ReadAllUsage(const Snapshot& snap, const UsageBySlot& previous) {
  UsageBySlot out;
  const auto table = resources::ProcTable::Scan();
  const std::uint64_t now = MonoNowNs();
  for (const auto& slot : snap.slots) {
    const auto& d = slot.data;
    if (!HasProcess(d.state) || d.pid <= 0) continue;
    const auto group = table.Group(d.pid);
    if (!group) continue;
    SlotUsage u{d.pid, group->cpu_s, 0, group->rss_bytes, now};
    const auto before = previous.find(slot.index);
    const bool same = before != previous.end() && before->second.pid == d.pid;
    const std::uint64_t since = same ? before->second.read_mono_ns : d.start_mono_ns;
    const double used = same ? u.cpu_s - before->second.cpu_s : u.cpu_s;
    if (since > 0 && now > since && used >= 0) u.cpu_pct = used / (static_cast<double>(now - since) / 1e9) * 100;
    out[slot.index] = u;
  }
  return out;
}

std::vector<TopRow> TopRows(const Snapshot& snap, const CountersBySlot& counters, std::uint64_t now_mono_ns,
                            const UsageBySlot& usage) {
  std::vector<TopRow> rows;
  rows.reserve(snap.slots.size());
  for (const auto& slot : snap.slots) {
    const auto& d = slot.data;
    const bool running = HasProcess(d.state) && d.pid > 0;
    TopRow& row = rows.emplace_back();
    row.name = d.name;
    row.state = daemon::StateName(d.state);
    row.state_sgr = StateSgr(d.state);
    if (running) row.pid = std::to_string(d.pid);
    if (running && d.start_mono_ns > 0 && now_mono_ns >= d.start_mono_ns)
      row.uptime = HumanDuration(now_mono_ns - d.start_mono_ns);
    row.restarts = std::to_string(d.restarts);
    row.ready = ReadyCell(d);
    if (auto it = counters.find(slot.index); it != counters.end()) row.counters = FormatCounters(it->second);
    if (auto it = usage.find(slot.index); running && it != usage.end() && it->second.pid == d.pid) {
      char pct[32];
      std::snprintf(pct, sizeof(pct), "%.1f", it->second.cpu_pct);
      row.cpu = pct;
      row.mem = resources::FormatBytes(it->second.rss_bytes);
    }
  }
  return rows;
}

std::string TopHeadline(const Snapshot& snap, std::uint64_t now_mono_ns) {
  const std::uint64_t up =
      now_mono_ns >= snap.info.supd_start_mono_ns ? now_mono_ns - snap.info.supd_start_mono_ns : 0;
  return "supd pid " + std::to_string(snap.info.supd_pid) + ", up " + HumanDuration(up) + ", " +
         std::to_string(snap.slots.size()) + " instance" + (snap.slots.size() == 1 ? "" : "s");
}

std::vector<std::string> LayoutTable(const std::vector<TopRow>& rows, std::size_t width, bool colour,
                                     std::size_t highlight) {
  const auto& columns = TopColumns();
  std::vector<std::size_t> widths(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    widths[c] = columns[c].header.size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], DisplayColumns(row.*columns[c].cell));
  }
  std::vector<std::string> lines;
  lines.reserve(rows.size() + 1);
  // r == npos: the header.
  auto line_of = [&](std::size_t r) {
    std::string plain;
    std::size_t state_at = 0, state_len = 0;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string_view cell = r == std::string::npos ? columns[c].header : rows[r].*columns[c].cell;
      const std::size_t pad = widths[c] - DisplayColumns(cell);
      const bool last = c + 1 == columns.size();
      if (columns[c].right_aligned) plain.append(pad, ' ');
      if (columns[c].cell == &TopRow::state) {  // the one painted cell
        state_at = plain.size();
        state_len = cell.size();
      }
      plain += cell;
      if (!columns[c].right_aligned && !last) plain.append(pad, ' ');
      if (!last) plain += "  ";
    }
    while (!plain.empty() && plain.back() == ' ') plain.pop_back();
    std::string_view fit = width > 0 ? FitColumns(plain, width) : std::string_view(plain);
    if (!colour) return std::string(fit);
    std::string out;
    if (r != std::string::npos && r == highlight) {
      out = "\x1b[7m" + std::string(fit);
      out.append(width > DisplayColumns(fit) ? width - DisplayColumns(fit) : 0, ' ');  // a full bar
      return out + "\x1b[0m";
    }
    if (r == std::string::npos) return "\x1b[1m" + std::string(fit) + "\x1b[0m";
    const char* sgr = rows[r].state_sgr;
    if (*sgr == '\0' || state_at + state_len > fit.size()) return std::string(fit);
    return std::string(fit.substr(0, state_at)) + "\x1b[" + sgr + "m" +
           std::string(fit.substr(state_at, state_len)) + "\x1b[0m" + std::string(fit.substr(state_at + state_len));
  };
  lines.push_back(line_of(std::string::npos));
  for (std::size_t r = 0; r < rows.size(); ++r) lines.push_back(line_of(r));
  return lines;
}

}  // namespace sup::ctl
