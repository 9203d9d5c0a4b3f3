// The rows of `supctl status`, read straight from supd's reply text by a SAX pass that keeps
// only the fields the table shows: with 10 000 instances the reply is ~3.6 MB, and building
// (then freeing) its JSON document cost supctl more than reading and printing it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sup::ctl {

// One element of an instance's "exits", as the detail view prints it.
struct ExitRow {
  std::string at;
  std::string text;    // FormatExit's text: "exit 1", "KILL (core)"
  double run_s = -1;   // -1 when not a number
  std::string reason;  // why supd ended it ("memory limit 64MiB exceeded (used 72MiB)"), or ""
};

// One element of "instances", reduced to what the table and the exit code read. Missing or
// mistyped fields take the values the table shows for "unknown": "", -1, false.
struct StatusRow {
  std::string name;
  std::string state;
  std::string pid;            // the pid's JSON text; empty when null or absent
  double uptime_s = -1;
  double cpu_pct = -1;    // -1: null (no process) or absent (an older supd)
  double rss_bytes = -1;
  long long restarts = 0;
  bool ready = false;
  std::string health;
  std::string last_exit = "-";  // FormatExit's text
  std::string status_text;
  std::string waiting_for;
  std::string error;
  std::string output_error;  // a log file's write or open error ("write /x.log: No space …")
  bool wanted_up = true;
  bool completed = false;
  std::vector<ExitRow> exits;  // newest first
};

// What a status reply line holds. `ok` is the reply's "ok"; when false (or the line is not a
// status reply) the caller decodes the line in full for its error.
struct StatusReply {
  bool ok = false;
  bool has_result = false;
  std::vector<StatusRow> rows;
};

// Reads a whole reply line ({"id","ok","result":{"supd","instances"}}). nullopt when the text
// is not valid JSON.
std::optional<StatusReply> ParseStatusReply(std::string_view line);

// Reads a bare status result ({"supd","instances"}); nullopt when not valid JSON.
std::optional<std::vector<StatusRow>> ParseStatusResult(std::string_view result);

}  // namespace sup::ctl
