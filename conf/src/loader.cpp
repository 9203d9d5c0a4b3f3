// LoadFile / LoadString: parse, read the main file, follow `include`, fill defaults, validate.
#include "sup/conf/loader.h"

#include <glob.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <system_error>

#include "document.h"

extern char** environ;

namespace sup::conf {
namespace {

std::string DirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

std::optional<std::string> ReadWholeFile(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read config file: " + std::generic_category().message(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot read config file: " + std::generic_category().message(errno);
    return std::nullopt;
  }
  return std::move(text).str();
}

// Parses `text` as `file`; a syntax error is recorded and yields nullopt.
std::optional<toml::table> Parse(std::string_view text, const std::string& file, LoadState& state) {
  toml::parse_result parsed = toml::parse(text, file);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    state.errors.push_back({SourcePos{file, static_cast<int>(e.source().begin.line),
                                      static_cast<int>(e.source().begin.column)},
                            "syntax error: " + std::string(e.description())});
    return std::nullopt;
  }
  return std::move(parsed).table();
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

// Each glob relative to the main file's directory, matches sorted; a glob matching nothing is
// fine. A file matched twice (or the main file itself) is read once.
void ReadIncludes(LoadState& state, const std::string& main_file) {
  const std::string dir = DirectoryOf(main_file);
  std::set<std::string> seen{Canonical(main_file)};
  for (const std::string& pattern : state.config.supervisor.include) {
    const std::string full = !pattern.empty() && pattern.front() == '/' ? pattern : dir + "/" + pattern;
    glob_t matches{};
    // No GLOB_ERR: a directory that is missing or unreadable simply matches nothing.
    const int rc = glob(full.c_str(), 0, nullptr, &matches);
    if (rc == GLOB_NOSPACE) state.errors.push_back({state.supervisor_keys.At("include"), "include \"" + pattern + "\": out of memory"});
    std::vector<std::string> files;
    for (size_t i = 0; rc == 0 && i < matches.gl_pathc; ++i) files.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
    for (const std::string& file : files) {
      if (!seen.insert(Canonical(file)).second) continue;
      std::string error;
      auto text = ReadWholeFile(file, error);
      if (!text) {
        state.errors.push_back({SourcePos{file, 0, 0}, error});
        continue;
      }
      if (auto root = Parse(*text, file, state)) ReadDocument(*root, file, false, state);
    }
  }
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = pos.file;
  if (pos.line > 0) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  return out + ": " + message;
}

LoadResult LoadString(std::string_view text, const std::string& path_label, const Environment& env,
                      uid_t uid) {
  LoadState state(env, uid);
  state.config.path = path_label;
  state.supervisor_pos = SourcePos{path_label, 0, 0};
  state.supervisor_keys.pos["header"] = state.supervisor_pos;
  if (auto root = Parse(text, path_label, state)) {
    ReadDocument(*root, path_label, true, state);
    ReadIncludes(state, path_label);
    ApplySupervisorDefaults(state, DirectoryOf(path_label));
    Validate(state);
  }
  LoadResult result;
  if (state.errors.empty()) result.config = std::move(state.config);
  result.errors = std::move(state.errors);
  return result;
}

LoadResult LoadFile(const std::string& path, const Environment& env, uid_t uid) {
  std::string error;
  auto text = ReadWholeFile(path, error);
  if (!text) return LoadResult{std::nullopt, {ConfigError{SourcePos{path, 0, 0}, error}}};
  return LoadString(*text, path, env, uid);
}

Environment CurrentEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

std::string DefaultSocketPath(uid_t uid, const Environment& env) {
  if (uid == 0) return "/run/sup/sup.sock";
  if (auto it = env.find("XDG_RUNTIME_DIR"); it != env.end() && !it->second.empty())
    return it->second + "/sup/sup.sock";
  return "/tmp/sup-" + std::to_string(uid) + "/sup.sock";
}

std::string DefaultStatusShm(const std::string& socket) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(socket, ec);
  const std::string absolute = ec ? socket : path.lexically_normal().string();
  if (absolute == "/run/sup/sup.sock") return "/sup";
  std::uint32_t hash = 2166136261u;  // FNV-1a, 32 bits: stable, and simple to redo in any language
  for (const unsigned char c : absolute) hash = (hash ^ c) * 16777619u;
  char name[16];
  std::snprintf(name, sizeof(name), "/sup-%08x", hash);
  return name;
}

std::string DefaultLogsDir(uid_t uid, const Environment& env) {
  if (uid == 0) return "/var/log/sup";
  if (auto it = env.find("XDG_STATE_HOME"); it != env.end() && !it->second.empty())
    return it->second + "/sup/log";
  if (auto it = env.find("HOME"); it != env.end() && !it->second.empty())
    return it->second + "/.local/state/sup/log";
  return "/tmp/sup-" + std::to_string(uid) + "/log";  // no $HOME at all: beside the socket
}

std::string ResolveConfigPath(const std::optional<std::string>& flag, const Environment& env) {
  if (flag && !flag->empty()) return *flag;
  if (auto it = env.find("SUP_CONFIG"); it != env.end() && !it->second.empty()) return it->second;
  return "/etc/sup/sup.toml";
}

int RunCheck(const std::string& path, const Environment& env, uid_t uid, std::ostream& out,
             std::ostream& err) {
  const LoadResult result = LoadFile(path, env, uid);
  for (const auto& e : result.errors) err << e.ToString() << "\n";
  if (!result.config) return 2;
  out << path << ": ok (" << result.config->programs.size() << " programs, "
      << result.config->groups.size() << " groups)\n";
  return 0;
}

}  // namespace sup::conf
