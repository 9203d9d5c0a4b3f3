// Hand-written TOML for an imported config; see toml_writer.h.
#include "ctl/import/toml_writer.h"

#include <cstdio>

#include "sup/conf/units.h"

namespace sup::ctl::import {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 (overlong, surrogate or out of range too).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string Size(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  constexpr std::uint64_t kKiB = 1024;
  if (bytes % (kKiB * kKiB * kKiB) == 0) return TomlString(std::to_string(bytes / (kKiB * kKiB * kKiB)) + "GiB");
  if (bytes % (kKiB * kKiB) == 0) return TomlString(std::to_string(bytes / (kKiB * kKiB)) + "MiB");
  if (bytes % kKiB == 0) return TomlString(std::to_string(bytes / kKiB) + "KiB");
  return std::to_string(bytes);
}

std::string Seconds(int seconds) {
  return TomlString(conf::FormatDuration(conf::Duration(static_cast<long long>(seconds) * 1000)));
}

std::string Array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + TomlString(items[i]);
  return out + "]";
}

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string ProgramKey(const std::string& name) { return "program." + TomlKey(name); }

// A comment line may hold neither control characters nor invalid UTF-8: both become '?'.
std::string CommentText(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (n == 0 || (n == 1 && ((c < 0x20 && c != '\t') || c == 0x7F))) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

void Comment(std::string& out, const std::string& text) {
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    const std::string_view line = std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start);
    out += "# " + CommentText(line) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

void WriteLog(std::string& out, const std::string& table, const OutLog& log, bool is_stderr) {
  std::string body;
  if (is_stderr && log.merge) body += "merge = true\n";
  if (!log.file.empty()) body += "file = " + TomlString(log.file) + "\n";
  if (log.max_size) body += "max_size = " + Size(*log.max_size) + "\n";
  if (log.backups) body += "backups = " + std::to_string(*log.backups) + "\n";
  if (log.forward) body += "forward = " + Bool(*log.forward) + "\n";
  if (!body.empty()) out += "\n[" + table + "]\n" + body;
}

void WriteProgram(std::string& out, const OutProgram& p) {
  out += "\n";
  if (!p.origin.empty()) Comment(out, "from " + p.origin);
  out += "[" + ProgramKey(p.name) + "]\n";
  if (p.shell) {
    out += "shell = true\ncommand = " + TomlString(p.shell_command) + "\n";
  } else {
    out += "command = " + Array(p.argv) + "\n";
  }
  if (!p.directory.empty()) out += "directory = " + TomlString(p.directory) + "\n";
  if (!p.user.empty()) out += "user = " + TomlString(p.user) + "\n";
  if (!p.user_comment.empty()) out += "# user = " + TomlString(p.user_comment) + "   (see the warnings above)\n";
  if (!p.umask.empty()) out += "umask = " + TomlString(p.umask) + "\n";
  if (!p.environment.empty()) {
    out += "environment = { ";
    for (size_t i = 0; i < p.environment.size(); ++i) {
      out += (i ? ", " : "") + TomlKey(p.environment[i].first) + " = " + TomlString(p.environment[i].second);
    }
    out += " }\n";
  }
  if (p.instances != 1) out += "instances = " + std::to_string(p.instances) + "\n";
  if (p.autostart) out += "autostart = " + Bool(*p.autostart) + "\n";
  if (p.restart) out += "restart = " + TomlString(*p.restart) + "\n";
  if (p.exit_codes) {
    out += "exit_codes = [";
    for (size_t i = 0; i < p.exit_codes->size(); ++i) out += (i ? ", " : "") + std::to_string((*p.exit_codes)[i]);
    out += "]\n";
  }
  if (p.start_seconds) out += "start_seconds = " + Seconds(*p.start_seconds) + "\n";
  if (p.start_retries) out += "start_retries = " + std::to_string(*p.start_retries) + "\n";
  if (p.backoff_initial_seconds)
    out += "backoff = { initial = " + Seconds(*p.backoff_initial_seconds) + " }\n";
  if (p.start_limit_burst) out += "start_limit = { burst = " + std::to_string(*p.start_limit_burst) + " }\n";
  if (p.priority) out += "priority = " + std::to_string(*p.priority) + "\n";
  if (p.stop_signal) out += "stop_signal = " + TomlString(*p.stop_signal) + "\n";
  if (p.stop_timeout) out += "stop_timeout = " + Seconds(*p.stop_timeout) + "\n";
  if (p.kill_group) out += "kill_group = " + Bool(*p.kill_group) + "\n";
  if (p.on_fatal_shutdown) {
    if (!p.on_fatal_comment.empty()) Comment(out, p.on_fatal_comment);
    out += "on_fatal = \"shutdown\"\n";
  }
  WriteLog(out, ProgramKey(p.name) + ".stdout", p.stdout_log, false);
  WriteLog(out, ProgramKey(p.name) + ".stderr", p.stderr_log, true);
}

}  // namespace

std::string TomlString(std::string_view text, bool* replaced) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += "\\uFFFD";
      if (replaced) *replaced = true;
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

std::string TomlKey(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key) {
    bare = bare && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-');
  }
  return bare ? std::string(key) : TomlString(key);
}

std::string WriteToml(const OutConfig& config, const std::vector<Warning>& warnings) {
  std::string out;
  Comment(out, "sup.toml converted from " + config.source + " by `supctl import supervisord`.");
  Comment(out, "Check it with `supctl check FILE` before use.");
  if (!warnings.empty()) {
    Comment(out, std::to_string(warnings.size()) + (warnings.size() == 1 ? " thing was" : " things were") +
                     " not carried over as written:");
    for (const auto& w : warnings) Comment(out, "  " + w.ToString());
  }
  const OutSupervisor& s = config.supervisor;
  std::string supervisor;
  if (!s.socket.empty()) supervisor += "socket = " + TomlString(s.socket) + "\n";
  if (!s.socket_mode.empty()) supervisor += "socket_mode = " + TomlString(s.socket_mode) + "\n";
  if (!s.socket_group.empty()) supervisor += "socket_group = " + TomlString(s.socket_group) + "\n";
  if (!s.socket_group_comment.empty())
    supervisor += "# socket_group = " + TomlString(s.socket_group_comment) + "   (see the warnings above)\n";
  if (!s.logs_dir.empty()) supervisor += "logs_dir = " + TomlString(s.logs_dir) + "\n";
  if (!supervisor.empty()) out += "\n[supervisor]\n" + supervisor;
  for (const auto& p : config.programs) WriteProgram(out, p);
  for (const auto& g : config.groups) {
    out += "\n";
    if (!g.origin.empty()) Comment(out, "from " + g.origin);
    out += "[group." + TomlKey(g.name) + "]\nprograms = " + Array(g.programs) + "\n";
  }
  return out;
}

std::string Warning::ToString() const {
  return file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + message;
}

}  // namespace sup::ctl::import
