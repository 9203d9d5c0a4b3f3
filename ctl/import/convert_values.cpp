// supervisord's value types (datatypes.py) read from interpolated entries, and templates
// rendered into sup's ${…} syntax; see convert.h.
#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "ctl/import/convert.h"
#include "ctl/import/toml_writer.h"

namespace sup::ctl::import {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Python's int(text) for base 10 or 8 (with an optional 0o prefix): sign, digits, underscores
// between digits, surrounding whitespace.
std::optional<long long> PythonInt(const std::string& raw, int base) {
  std::string s = Trim(raw);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.erase(0, 1);
  }
  if (base == 8 && s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s.erase(0, 2);
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  long long value = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && s[i - 1] != '_') continue;
    if (s[i] < '0' || s[i] >= '0' + base) return std::nullopt;
    if (value > (1LL << 52)) return std::nullopt;  // far beyond any value a key takes
    value = value * base + (s[i] - '0');
  }
  return negative ? -value : value;
}

bool ValidVarName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<std::string> UserName(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return std::nullopt;
  return std::string(found->pw_name);
}

bool UserExists(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  return getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr;
}

}  // namespace

void Converter::Warn(const std::string& file, int line, const std::string& message) {
  for (const auto& w : warnings_)
    if (w.file == file && w.line == line && w.message == message) return;
  warnings_.push_back(Warning{file, line, message});
}

void Converter::Warn(const IniEntry& e, const std::string& message) {
  Warn(e.file, e.line, e.key + ": " + message);
}

Scope Converter::BaseScope(const IniEntry& e) const {
  Scope scope;
  std::error_code ec;
  std::filesystem::path here = std::filesystem::absolute(e.file, ec).parent_path().lexically_normal();
  std::string text = here.string();
  if (text.size() > 1 && text.back() == '/') text.pop_back();
  scope.names["here"] = Text(text);
  scope.names["host_node_name"] = Text(options_.hostname);
  for (const auto& [name, value] : supervisord_env_names_) scope.names[name] = value;
  scope.env = &options_.env;
  return scope;
}

std::optional<std::string> Converter::Scalar(const IniEntry& e, const Scope& scope) {
  Expanded x = Interpolate(e.value, scope);
  if (!x.error.empty()) {
    Warn(e, "`" + e.value + "`: " + x.error + " (supervisord refuses it); not carried over");
    return std::nullopt;
  }
  std::string out;
  for (const auto& piece : x.value) {
    if (piece.kind == Piece::Kind::kText) {
      out += piece.text;
    } else if (piece.kind == Piece::Kind::kEnv) {
      // supervisord reads the variable when it starts; this machine's value would freeze another
      // machine's setting, and this key takes no ${…} in sup.
      Warn(e, "%(ENV_" + piece.text + ")s: sup takes no ${" + piece.text + "} in this key, and the value here is "
              "not the one supd will see; not carried over: set it by hand");
      return std::nullopt;
    } else {
      return std::nullopt;  // callers check for process_num before reading a scalar
    }
  }
  return out;
}

std::optional<bool> Converter::Bool(const IniEntry& e, const Scope& scope) {
  auto text = Scalar(e, scope);
  if (!text) return std::nullopt;
  const std::string v = Lower(*text);
  if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return false;
  Warn(e, "`" + *text + "` is not a boolean (supervisord refuses it); not carried over");
  return std::nullopt;
}

std::optional<long long> Converter::Integer(const IniEntry& e, const Scope& scope, long long min, long long max) {
  auto text = Scalar(e, scope);
  if (!text) return std::nullopt;
  auto value = PythonInt(*text, 10);
  if (!value) {
    Warn(e, "`" + *text + "` is not an integer (supervisord refuses it); not carried over");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    Warn(e, std::to_string(*value) + " is out of range (" + std::to_string(min) + " to " +
                std::to_string(max) + "); not carried over");
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> Converter::Bytes(const IniEntry& e, const Scope& scope) {
  auto text = Scalar(e, scope);
  if (!text) return std::nullopt;
  const std::string v = Lower(*text);
  std::uint64_t multiplier = 1;
  std::string digits = v;
  if (v.size() >= 2) {
    const std::string suffix = v.substr(v.size() - 2);
    if (suffix == "kb") multiplier = 1024;
    if (suffix == "mb") multiplier = 1024 * 1024;
    if (suffix == "gb") multiplier = 1024ULL * 1024 * 1024;
    if (multiplier != 1) digits = v.substr(0, v.size() - 2);
  }
  auto value = PythonInt(digits, 10);
  if (!value || *value < 0) {
    Warn(e, "`" + *text + "` is not a size like 50MB (supervisord refuses it); not carried over");
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*value) * multiplier;
}

std::optional<std::string> Converter::Octal(const IniEntry& e, const Scope& scope) {
  auto text = Scalar(e, scope);
  if (!text) return std::nullopt;
  auto value = PythonInt(*text, 8);
  if (!value || *value < 0 || *value > 0777) {
    Warn(e, "`" + *text + "` is not an octal mode up to 777; not carried over");
    return std::nullopt;
  }
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04llo", *value);
  return std::string(buf);
}

std::optional<std::string> Converter::Render(const Template& t, const IniEntry& e, long long first) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    const Piece& piece = t[i];
    if (piece.kind == Piece::Kind::kText) {
      const std::string& s = piece.text;
      for (size_t k = 0; k < s.size(); ++k) {
        out += s[k];
        if (s[k] != '$') continue;
        // A `$` before `{` or `$` (or before a reference, which writes "${") would start
        // one of sup's own expansions: `$$` keeps it literal.
        const bool before_ref = k + 1 == s.size() && i + 1 < t.size();
        if (before_ref || (k + 1 < s.size() && (s[k + 1] == '{' || s[k + 1] == '$'))) out += '$';
      }
    } else if (piece.kind == Piece::Kind::kEnv) {
      if (!ValidVarName(piece.text)) {
        Warn(e, "%(ENV_" + piece.text + ")s: sup's ${…} cannot name that variable; not carried over");
        return std::nullopt;
      }
      if (options_.env.count(piece.text) != 0) {
        out += "${" + piece.text + "}";
      } else {
        Warn(e, "%(ENV_" + piece.text + ")s: " + piece.text + " is not set here (supervisord would refuse to "
                "start); written as ${" + piece.text + ":-}, empty when unset");
        out += "${" + piece.text + ":-}";
      }
    } else {
      out += first == 0 ? "${SUP_INSTANCE}" : "${SUP_INSTANCE+" + std::to_string(first) + "}";
    }
  }
  bool replaced = false;
  TomlString(out, &replaced);
  if (replaced) Warn(e, "bytes that are not UTF-8 are written as U+FFFD (TOML text is UTF-8)");
  return out;
}

std::optional<std::string> Converter::User(const IniEntry& e, const Scope& scope, std::string& commented) {
  Expanded x = Interpolate(e.value, scope);
  const bool from_env = x.error.empty() && std::any_of(x.value.begin(), x.value.end(), [](const Piece& p) {
    return p.kind == Piece::Kind::kEnv;
  });
  if (from_env) {  // expanded when supd starts (and checked then), never this machine's value
    auto text = Render(x.value, e, 0);
    if (text) return Trim(*text);
    return std::nullopt;
  }
  auto text = Scalar(e, scope);
  if (!text) return std::nullopt;
  std::string name = Trim(*text);
  if (auto uid = PythonInt(name, 10); uid && *uid >= 0) {  // supervisord also takes a uid
    if (auto resolved = UserName(static_cast<uid_t>(*uid))) name = *resolved;
  }
  if (options_.euid != 0) {
    if (UserName(options_.euid) == name) return std::nullopt;  // supd runs as that user already
    Warn(e, "`" + name + "` needs a root supd (this import runs as uid " + std::to_string(options_.euid) +
                "); written commented out: import as root to keep it");
    commented = name;
    return std::nullopt;
  }
  if (!UserExists(name)) {
    Warn(e, "no user `" + name + "` on this machine; written commented out");
    commented = name;
    return std::nullopt;
  }
  return name;
}

}  // namespace sup::ctl::import
