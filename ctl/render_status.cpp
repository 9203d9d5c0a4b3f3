// The `status` table and the one-instance detail view.
#include <algorithm>
#include <sstream>
#include <vector>

#include "ctl/render.h"

namespace sup::ctl {
namespace {

using nlohmann::json;

std::string Str(const json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double Num(const json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_number() ? it->get<double>() : -1;
}

std::string StateColour(const std::string& state, const json& inst) {
  if (state == "RUNNING") return "32";
  if (state == "FATAL") return "31";
  if (state == "EXITED") return inst.value("completed", false) ? "32" : "31";
  if (state == "STARTING" || state == "STOPPING" || state == "BACKOFF") return "33";
  return "";
}

bool InWantedState(const json& inst) {
  const std::string state = Str(inst, "state");
  if (state == "RUNNING") return Str(inst, "health") != "unhealthy";
  if (state == "EXITED") return inst.value("completed", false);
  return false;
}

std::string ReadyHealth(const json& inst) {
  std::string out = inst.value("ready", false) ? "ready" : "-";
  const std::string health = Str(inst, "health");
  if (!health.empty() && health != "unknown" && health != "none") out += "/" + health;
  return out;
}

// What the instance is doing, most important first.
std::string Note(const json& inst) {
  for (const char* key : {"error", "waiting_for", "status_text"}) {
    std::string text = Str(inst, key);
    if (!text.empty()) return std::string(key) == "waiting_for" ? "waiting for " + text : text;
  }
  return "";
}

struct Cell {
  std::string text;    // what is measured for the column width
  std::string colour;  // SGR, applied after padding is computed
};

}  // namespace

int StatusExitCode(const json& result, bool explicit_selection) {
  const auto it = result.find("instances");
  if (it == result.end() || !it->is_array()) return 0;
  for (const auto& inst : *it) {
    if (!explicit_selection && !inst.value("wanted_up", true)) continue;
    if (!InWantedState(inst)) return 3;
  }
  return 0;
}

std::string RenderStatus(const json& result, bool detail, Style style) {
  const json instances = result.value("instances", json::array());
  std::vector<std::vector<Cell>> rows;
  rows.push_back({{"NAME", ""}, {"STATE", ""}, {"PID", ""}, {"UPTIME", ""}, {"RESTARTS", ""},
                  {"READY", ""}, {"LAST EXIT", ""}, {"STATUS", ""}});
  for (const auto& inst : instances) {
    const std::string state = Str(inst, "state");
    const bool has_pid = inst.contains("pid") && inst["pid"].is_number();
    const bool up = has_pid && Num(inst, "uptime_s") >= 0;
    rows.push_back({{Str(inst, "name"), ""},
                    {state, StateColour(state, inst)},
                    {has_pid ? inst["pid"].dump() : "-", ""},
                    {up ? FormatSeconds(Num(inst, "uptime_s"), style) : "-", ""},
                    {std::to_string(inst.value("restarts", 0)), ""},
                    {ReadyHealth(inst), Str(inst, "health") == "unhealthy" ? "31" : ""},
                    {FormatExit(inst.value("last_exit", json())), ""},
                    {Note(inst), ""}});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].text.size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      std::string cell = Paint(row[c].text, row[c].colour, style);
      if (c + 1 < row.size()) cell += std::string(width[c] - row[c].text.size() + 2, ' ');
      line += cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
  if (detail && instances.size() == 1) {
    const json& inst = instances[0];
    if (!Str(inst, "waiting_for").empty()) out << "\nwaiting for: " << Str(inst, "waiting_for") << "\n";
    const json exits = inst.value("exits", json::array());
    if (!exits.empty()) {
      out << "\nlast exits (newest first):\n";
      for (const auto& e : exits) {
        out << "  " << Str(e, "at") << "  " << FormatExit(e) << "  ran "
            << FormatSeconds(Num(e, "run_s"), Style{true}) << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace sup::ctl
