// The `status` table and the one-instance detail view.
#include <algorithm>
#include <array>
#include <cstdio>

#include "ctl/render.h"
#include "ctl/text_width.h"
#include "protocol/message.h"
#include "resources/size_text.h"

namespace sup::ctl {
namespace {

using nlohmann::json;

constexpr std::size_t kColumns = 10;
using Cells = std::array<std::string, kColumns>;

const char* StateColour(const StatusRow& row) {
  const std::string& state = row.state;
  if (state == "RUNNING") return "32";
  if (state == "FATAL") return "31";
  if (state == "EXITED") return row.completed ? "32" : "31";
  if (state == "STARTING" || state == "STOPPING" || state == "BACKOFF") return "33";
  return "";
}

bool InWantedState(const StatusRow& row) {
  if (row.state == "RUNNING") return row.health != "unhealthy";
  if (row.state == "EXITED") return row.completed;
  return false;
}

std::string ReadyHealth(const StatusRow& row) {
  std::string out = row.ready ? "ready" : "-";
  if (!row.health.empty() && row.health != "unknown" && row.health != "none") out += "/" + row.health;
  return out;
}

// What the instance is doing, most important first.
std::string Note(const StatusRow& row) {
  if (!row.error.empty()) return row.error;
  if (!row.output_error.empty()) return "output: " + row.output_error;
  // "unhealthy 2/3" says it all; the rest reads "waiting for READY=1", "waiting for db: ready".
  if (row.waiting_for.rfind("unhealthy ", 0) == 0) return row.waiting_for;
  if (!row.waiting_for.empty()) return "waiting for " + row.waiting_for;
  return row.status_text;
}

// CPU% as "12.5", "-" without a figure.
std::string CpuCell(double pct) {
  if (pct < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", pct);
  return buf;
}

Cells CellsOf(const StatusRow& row, Style style) {
  const bool up = !row.pid.empty() && row.uptime_s >= 0;
  return {row.name,
          row.state,
          row.pid.empty() ? "-" : row.pid,
          CpuCell(row.cpu_pct),
          row.rss_bytes < 0 ? "-" : resources::FormatBytes(static_cast<std::uint64_t>(row.rss_bytes)),
          up ? FormatSeconds(row.uptime_s, style) : "-",
          std::to_string(row.restarts),
          ReadyHealth(row),
          row.last_exit,
          Note(row)};
}

// Appends one table line: each cell padded to its column's width plus two spaces (colour
// codes do not count), trailing spaces dropped. With style.width, the line stops at that many
// columns: the cell that crosses it is cut, so a narrow terminal never wraps a row.
void AppendLine(std::string& out, const Cells& cells, const std::array<const char*, kColumns>& colour,
                const std::array<std::size_t, kColumns>& width, Style style) {
  std::size_t used = 0;
  for (std::size_t c = 0; c < kColumns; ++c) {
    std::string_view cell = cells[c];
    if (style.width > 0) {
      if (used >= style.width) break;
      cell = FitColumns(cell, style.width - used);
    }
    out += Paint(cell, colour[c], style);
    used += DisplayColumns(cell);
    if (c + 1 < kColumns) {
      std::size_t pad = width[c] - cells[c].size() + 2;
      if (style.width > 0) pad = std::min(pad, style.width > used ? style.width - used : 0);
      out.append(pad, ' ');
      used += pad;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += '\n';
}

// Rows are held as text until every column's width is known. 10 000 instances make a table
// of ~1 MB; it is built in one string so that it leaves in one write.
std::string Table(const std::vector<StatusRow>& rows, Style style) {
  std::vector<Cells> cells;
  cells.reserve(rows.size() + 1);
  cells.push_back({"NAME", "STATE", "PID", "CPU%", "MEM", "UPTIME", "RESTARTS", "READY", "LAST EXIT", "STATUS"});
  for (const auto& row : rows) cells.push_back(CellsOf(row, style));
  std::array<std::size_t, kColumns> width{};
  for (const auto& line : cells) {
    for (std::size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], line[c].size());
  }
  std::size_t line_size = 1;
  for (std::size_t w : width) line_size += w + 2;
  std::string out;
  out.reserve(line_size * cells.size() + (style.tty ? 20 * cells.size() : 0));
  const std::array<const char*, kColumns> plain{"", "", "", "", "", "", "", "", "", ""};
  AppendLine(out, cells[0], plain, width, style);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    auto colour = plain;
    colour[1] = StateColour(rows[r]);
    colour[7] = rows[r].health == "unhealthy" ? "31" : "";
    AppendLine(out, cells[r + 1], colour, width, style);
  }
  return out;
}

std::vector<StatusRow> RowsOf(const json& result) {
  auto rows = ParseStatusResult(protocol::Dump(result));
  return rows ? std::move(*rows) : std::vector<StatusRow>();
}

}  // namespace

int StatusExitCode(const std::vector<StatusRow>& rows, bool explicit_selection) {
  for (const auto& row : rows) {
    if (!explicit_selection && !row.wanted_up) continue;
    if (!InWantedState(row)) return 3;
  }
  return 0;
}

int StatusExitCode(const json& result, bool explicit_selection) {
  // Only the four fields the verdict reads (`status --json` keeps its document anyway).
  const auto it = result.find("instances");
  if (it == result.end() || !it->is_array()) return 0;
  std::vector<StatusRow> rows;
  rows.reserve(it->size());
  for (const auto& inst : *it) {
    if (!inst.is_object()) continue;
    StatusRow& row = rows.emplace_back();
    auto text = [&inst](const char* key) {
      const auto v = inst.find(key);
      return v != inst.end() && v->is_string() ? v->get<std::string>() : std::string();
    };
    auto flag = [&inst](const char* key, bool fallback) {
      const auto v = inst.find(key);
      return v != inst.end() && v->is_boolean() ? v->get<bool>() : fallback;
    };
    row.state = text("state");
    row.health = text("health");
    row.completed = flag("completed", false);
    row.wanted_up = flag("wanted_up", true);
  }
  return StatusExitCode(rows, explicit_selection);
}

std::string RenderStatus(const std::vector<StatusRow>& rows, bool detail, Style style) {
  std::string out = Table(rows, style);
  if (detail && rows.size() == 1) {
    const StatusRow& row = rows[0];
    if (!row.waiting_for.empty()) out += "\nwaiting for: " + row.waiting_for + "\n";
    if (!row.exits.empty()) {
      out += "\nlast exits (newest first):\n";
      for (const auto& e : row.exits) {
        out += "  " + e.at + "  " + e.text + "  ran " + FormatSeconds(e.run_s, Style{true}) +
               (e.reason.empty() ? "" : "  " + e.reason) + "\n";
      }
    }
  }
  return out;
}

std::string RenderStatus(const json& result, bool detail, Style style) {
  return RenderStatus(RowsOf(result), detail, style);
}

}  // namespace sup::ctl
