#include "ctl/render.h"

#include <cmath>
#include <sstream>

namespace sup::ctl {
namespace {

using nlohmann::json;

std::string Str(const json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Join(const json& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n.is_string() ? n.get<std::string>() : n.dump();
  }
  return out;
}

std::string PastTense(std::string_view verb) {
  if (verb == "start") return "started";
  if (verb == "stop") return "stopped";
  if (verb == "restart") return "restarted";
  return std::string(verb);
}

}  // namespace

std::string Paint(std::string_view text, std::string_view sgr, Style style) {
  if (!style.tty || !style.colour || sgr.empty()) return std::string(text);
  return "\x1b[" + std::string(sgr) + "m" + std::string(text) + "\x1b[0m";
}

std::string FormatSeconds(double seconds, Style style) {
  if (!(seconds >= 0)) return "-";
  if (!style.tty) return std::to_string(static_cast<long long>(seconds)) + "s";
  const long long s = static_cast<long long>(seconds);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

std::string FormatExit(const json& exit) {
  if (!exit.is_object()) return "-";
  std::string out;
  const auto signal = exit.find("signal");
  if (signal != exit.end() && !signal->is_null()) {
    out = signal->is_string() ? signal->get<std::string>() : "signal " + signal->dump();
    if (exit.value("core_dumped", false)) out += " (core)";
  } else {
    const auto code = exit.find("code");
    out = "exit " + (code != exit.end() && !code->is_null() ? code->dump() : std::string("?"));
  }
  return out;
}

std::string RenderOutcome(std::string_view verb, std::string_view wanted, const json& item,
                          Style style, int& exit_code) {
  const std::string name = Str(item, "name");
  const std::string outcome = Str(item, "outcome");
  const std::string message = Str(item, "message");
  std::string line = name + ": ";
  if (outcome == "ok") {
    exit_code = 0;
    const std::string done = verb == "wait" ? std::string(wanted) : PastTense(verb);
    if (!message.empty() && message.rfind(done, 0) == 0) {
      line += Paint(done, "32", style) + message.substr(done.size());  // "stopped (SIGKILL after 10s)"
    } else {
      line += Paint(done, "32", style);
      if (!message.empty()) {
        line += " (" + message + ")";
      } else if (item.value("killed", false) && (verb == "stop" || verb == "restart")) {
        line += " (SIGKILL)";
      }
    }
  } else if (outcome == "timeout") {
    exit_code = verb == "wait" ? 3 : 1;
    line += Paint("timed out", "33", style);
    if (!message.empty()) line += ": " + message;
  } else {
    exit_code = 1;
    line += Paint("failed", "31", style);
    if (!message.empty()) line += ": " + message;
  }
  return line;
}

std::string RenderPlan(const json& plan, bool dry_run) {
  std::ostringstream out;
  out << (dry_run ? "reload plan (dry run, nothing changed):\n" : "reloaded:\n");
  auto names = [&](const char* key, const char* label) {
    const auto it = plan.find(key);
    if (it == plan.end() || !it->is_array() || it->empty()) return;
    out << "  " << label << ": " << Join(*it) << "\n";
  };
  auto changes = [&](const char* key, const char* label) {
    const auto it = plan.find(key);
    if (it == plan.end() || !it->is_array() || it->empty()) return;
    out << "  " << label << ":";
    bool first = true;
    for (const auto& change : *it) {
      out << (first ? " " : ", ") << Str(change, "name");
      if (change.contains("keys") && !change["keys"].empty()) out << " (" << Join(change["keys"]) << ")";
      first = false;
    }
    out << "\n";
  };
  names("added", "added");
  names("removed", "removed");
  changes("restarted", "restarted");
  changes("updated", "updated in place");
  names("untouched", "untouched");
  names("not_applied", "not applied (restart supd)");
  bool any = false;
  for (const char* key : {"added", "removed", "restarted", "updated", "not_applied"}) {
    if (plan.contains(key) && plan[key].is_array() && !plan[key].empty()) any = true;
  }
  if (!any) out << "  no changes\n";
  return out.str();
}

std::string RenderLogLine(const json& item, Style style) {
  const bool err = Str(item, "stream") == "stderr";
  return Paint(Str(item, "name"), "36", style) + (err ? Paint(" ! ", "31", style) : " | ") +
         Str(item, "line");
}

}  // namespace sup::ctl
