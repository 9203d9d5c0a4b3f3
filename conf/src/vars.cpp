// ${VAR} expansion and word splitting; see vars.h.
#include "vars.h"

#include <cctype>

namespace sup::conf {
namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Index of the '}' closing the "${" at `open`, honouring nested ${…} and `$$`; npos if none.
size_t FindClose(std::string_view in, size_t open) {
  int depth = 1;
  for (size_t j = open + 2; j < in.size(); ++j) {
    if (in[j] == '$' && j + 1 < in.size() && (in[j + 1] == '{' || in[j + 1] == '$')) {
      if (in[j + 1] == '{') ++depth;
      ++j;
    } else if (in[j] == '}' && --depth == 0) {
      return j;
    }
  }
  return std::string_view::npos;
}

bool ValidInstanceSuffix(std::string_view name, std::string_view rest) {
  if (rest.empty()) return true;
  if (name != "SUP_INSTANCE" || rest.size() < 2 || rest[0] != '+') return false;
  if (rest.size() > 10) return false;  // keeps index + N far from int overflow
  for (char c : rest.substr(1))
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string EscapeDollars(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

}  // namespace

bool IsInstanceVar(std::string_view name) { return name == "SUP_PROGRAM" || name == "SUP_INSTANCE"; }

VarsResult ExpandVars(std::string_view in, const Environment& env, InstanceVars mode) {
  VarsResult r;
  const bool keep = mode == InstanceVars::kKeep;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c != '$' || i + 1 >= in.size() || (in[i + 1] != '$' && in[i + 1] != '{')) {
      r.text += c;  // a `$` not followed by `{` or `$` is literal
      continue;
    }
    if (in[i + 1] == '$') {
      r.text += keep ? "$$" : "$";
      ++i;
      continue;
    }
    const size_t close = FindClose(in, i);
    if (close == std::string_view::npos) {
      r.error = "unterminated `${` (write `$$` for a literal `$`)";
      return r;
    }
    const std::string_view inner = in.substr(i + 2, close - i - 2);
    size_t name_len = 0;
    if (!inner.empty() && IsNameStart(inner[0]))
      while (name_len < inner.size() && IsNameChar(inner[name_len])) ++name_len;
    const std::string name(inner.substr(0, name_len));
    const std::string_view rest = inner.substr(name_len);
    const std::string whole = "${" + std::string(inner) + "}";
    if (name.empty()) {
      r.error = "bad variable reference `" + whole + "`: expected ${VAR} or ${VAR:-default}";
      return r;
    }
    if (IsInstanceVar(name)) {
      if (!keep) {
        r.error = "`" + whole + "` is only expanded per instance: in command, directory, "
                  "environment values, log files and health checks";
        return r;
      }
      if (!ValidInstanceSuffix(name, rest)) {
        r.error = "bad per-instance variable `" + whole +
                  "`: expected ${SUP_PROGRAM}, ${SUP_INSTANCE} or ${SUP_INSTANCE+N}";
        return r;
      }
      r.text += whole;
    } else if (rest.starts_with(":-")) {
      auto it = env.find(name);
      if (it != env.end() && !it->second.empty()) {
        r.text += keep ? EscapeDollars(it->second) : it->second;
      } else {
        VarsResult fallback = ExpandVars(rest.substr(2), env, mode);
        if (!fallback.error.empty()) return fallback;
        r.text += fallback.text;
      }
    } else if (rest.empty()) {
      auto it = env.find(name);
      if (it == env.end()) {
        r.error = "unset variable `" + whole + "` (give a default with `${" + name + ":-default}`)";
        return r;
      }
      r.text += keep ? EscapeDollars(it->second) : it->second;
    } else {
      r.error = "bad variable reference `" + whole + "`: expected ${VAR} or ${VAR:-default}";
      return r;
    }
    i = close;
  }
  return r;
}

WordsResult SplitWords(std::string_view in) {
  WordsResult r;
  std::string word;
  bool in_word = false;
  auto finish = [&] {
    if (in_word) r.words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      finish();
    } else if (c == '\'') {
      const size_t end = in.find('\'', i + 1);
      if (end == std::string_view::npos) {
        r.error = "unterminated single quote in command";
        return r;
      }
      word.append(in.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < in.size() && in[j] != '"'; ++j) {
        if (in[j] == '\\' && j + 1 < in.size() &&
            (in[j + 1] == '$' || in[j + 1] == '`' || in[j + 1] == '"' || in[j + 1] == '\\' ||
             in[j + 1] == '\n')) {
          if (in[j + 1] != '\n') word += in[j + 1];
          ++j;
        } else if (in[j] == '`') {
          r.error = "a backquote in command needs a shell: set `shell = true` to run the command "
                    "through /bin/sh -c";
          return r;
        } else {
          word += in[j];
        }
      }
      if (j >= in.size()) {
        r.error = "unterminated double quote in command";
        return r;
      }
      in_word = true;
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= in.size()) {
        r.error = "command ends with a backslash";
        return r;
      }
      if (in[i + 1] != '\n') {
        word += in[i + 1];
        in_word = true;
      }
      ++i;
    } else if (c == '|' || c == '&' || c == ';' || c == '<' || c == '>' || c == '(' ||
               c == ')' || c == '`') {
      r.error = std::string("unquoted `") + c +
                "` in command: sup runs no shell; set `shell = true` to run the command through "
                "/bin/sh -c";
      return r;
    } else {
      word += c;
      in_word = true;
    }
  }
  finish();
  return r;
}

}  // namespace sup::conf
