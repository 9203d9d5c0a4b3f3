// Per-instance expansion; see expand.h. The loader validated every placeholder, so whatever
// does not parse here is copied through unchanged rather than reported.
#include "sup/conf/expand.h"

#include <charconv>

namespace sup::conf {

std::string ResolveLogFile(const std::string& file, const SupervisorSpec& s) {
  if (file.empty() || file.front() == '/') return file;
  if (s.logs_dir.empty()) return file;
  return s.logs_dir.back() == '/' ? s.logs_dir + file : s.logs_dir + "/" + file;
}

std::string InstanceName(const ProgramSpec& p, int index) {
  return p.instances == 1 ? p.name : p.name + ":" + std::to_string(index);
}

std::string ExpandForInstance(const std::string& text, const std::string& program, int index) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
    } else if (text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close == std::string::npos) {
        out += text.substr(i);
        break;
      }
      const std::string_view inner(text.data() + i + 2, close - i - 2);
      if (inner == "SUP_PROGRAM") {
        out += program;
      } else if (inner == "SUP_INSTANCE") {
        out += std::to_string(index);
      } else if (inner.starts_with("SUP_INSTANCE+")) {
        long long offset = 0;
        const std::string_view digits = inner.substr(13);
        std::from_chars(digits.data(), digits.data() + digits.size(), offset);
        out += std::to_string(index + offset);
      } else {
        out += text.substr(i, close - i + 1);
      }
      i = close;
    } else {
      out += '$';
    }
  }
  return out;
}

InstanceSpec ForInstance(const ProgramSpec& p, int index, const SupervisorSpec& s) {
  auto expand = [&](const std::string& text) { return ExpandForInstance(text, p.name, index); };
  InstanceSpec spec;
  spec.name = InstanceName(p, index);
  spec.index = index;
  for (const auto& arg : p.command) spec.argv.push_back(p.from_command_line ? arg : expand(arg));
  spec.directory = expand(p.directory);
  for (const auto& [key, value] : p.environment) spec.environment.emplace_back(key, expand(value));
  spec.stdout_file = ResolveLogFile(expand(p.stdout_log.file), s);
  spec.stderr_file = ResolveLogFile(expand(p.stderr_log.file), s);
  for (const auto& arg : p.health.exec) spec.health_exec.push_back(expand(arg));
  spec.health_tcp = expand(p.health.tcp);
  spec.health_http = expand(p.health.http);
  return spec;
}

}  // namespace sup::conf
