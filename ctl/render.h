// Turning supd's JSON results into text for people: tables, one line per instance, plans.
// Pure functions of the document; `tty` selects colour and human units (SPEC §5).
#pragma once

#include <string>
#include <string_view>

#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/status_rows.h"

namespace sup::ctl {

struct Style {
  bool tty = false;         // human units (and colour, unless `colour` is off)
  bool colour = true;       // false when NO_COLOR is set, whatever its value
  std::size_t width = 0;    // the terminal's columns: tables are cut to it; 0 = no limit
};

// 0 when every counted instance is in its wanted state, else 3 (SPEC §5 "status exits 3").
// `explicit_selection`: selectors other than `all` were given, so wanted-down ones count.
int StatusExitCode(const std::vector<StatusRow>& rows, bool explicit_selection);
int StatusExitCode(const nlohmann::json& result, bool explicit_selection);

// The status table; with exactly one instance and `detail`, also its exits and waits.
std::string RenderStatus(const std::vector<StatusRow>& rows, bool detail, Style style);
// The same from a status result document (read through ParseStatusResult).
std::string RenderStatus(const nlohmann::json& result, bool detail, Style style);

// "web:0: started", "worker: stopped (SIGKILL after 10s)", "web:0: failed: start limit hit".
// `verb` is start, stop, restart or wait (then `wanted` is the --for state). Sets `exit_code`
// for this instance (0, 1, or 3 for a wait that timed out).
std::string RenderOutcome(std::string_view verb, std::string_view wanted, const nlohmann::json& item,
                          Style style, int& exit_code);

// The plan of reload / reload --dry-run.
std::string RenderPlan(const nlohmann::json& plan, bool dry_run);

// One `logs` item: "web:0 | text" (stdout) or "web:0 ! text" (stderr).
std::string RenderLogLine(const nlohmann::json& item, Style style);

// Human units: 12.5 -> "12s", 3725 -> "1h2m"; without tty, whole seconds ("3725s").
std::string FormatSeconds(double seconds, Style style);

// "exit 1", "KILL (core)", "-" for null.
std::string FormatExit(const nlohmann::json& exit);

// Colour `text` (an ANSI SGR code such as "32") only on a TTY, and not with NO_COLOR.
std::string Paint(std::string_view text, std::string_view sgr, Style style);

}  // namespace sup::ctl
