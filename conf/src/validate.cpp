// The checks that need the whole config (every file read, defaults filled): unique names,
// dependencies and their cycles, groups, users and groups of the system, shared log files and
// what the log file paths are on disk.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <set>

#include "document.h"
#include "names.h"
#include "sup/base/file_type.h"
#include "sup/conf/expand.h"

namespace sup::conf {
namespace {

std::string Where(const SourcePos& pos) {
  return pos.file + (pos.line > 0 ? ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) : "");
}

// getpwnam_r / getgrnam_r with a buffer that grows on ERANGE; false when there is no entry.
bool UserExists(const std::string& name) {
  std::vector<char> buf(4096);
  for (;;) {
    passwd pw{};
    passwd* found = nullptr;
    const int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    return rc == 0 && found != nullptr;
  }
}

bool GroupExists(const std::string& name) {
  std::vector<char> buf(4096);
  for (;;) {
    group gr{};
    group* found = nullptr;
    const int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    return rc == 0 && found != nullptr;
  }
}

void CheckUniqueNames(LoadState& state) {
  const Config& c = state.config;
  std::map<std::string, SourcePos> programs;
  for (const auto& p : c.programs) {
    auto [it, fresh] = programs.emplace(p.name, p.pos);
    if (!fresh) state.errors.push_back({p.pos, "duplicate program `" + p.name + "` (first defined at " + Where(it->second) + ")"});
  }
  std::map<std::string, SourcePos> groups;
  for (const auto& g : c.groups) {
    auto [it, fresh] = groups.emplace(g.name, g.pos);
    if (!fresh) state.errors.push_back({g.pos, "duplicate group `" + g.name + "` (first defined at " + Where(it->second) + ")"});
    if (auto p = programs.find(g.name); p != programs.end()) {
      state.errors.push_back({g.pos, "[group." + g.name + "] has the name of a program (defined at " +
                                         Where(p->second) + "): programs and groups share one namespace"});
    }
  }
}

std::vector<std::string> ProgramNames(const Config& c) {
  std::vector<std::string> names;
  for (const auto& p : c.programs) names.push_back(p.name);
  return names;
}

// "no program `dbb` — did you mean `db`?" / "`backend` is a group; ..."
std::string UnknownProgram(const Config& c, const std::string& name, const std::string& context) {
  std::string message = context + " names no program `" + name + "`";
  if (c.FindGroup(name)) return message + " (`" + name + "` is a group; list its programs instead)";
  if (auto hint = ClosestMatch(name, ProgramNames(c)); !hint.empty())
    message += " \u2014 did you mean `" + hint + "`?";
  return message;
}

void CheckDependencies(LoadState& state) {
  const Config& c = state.config;
  for (size_t i = 0; i < c.programs.size(); ++i) {
    const ProgramSpec& p = c.programs[i];
    const ProgramSource& src = state.sources[i];
    std::set<std::string> seen;
    for (const auto& d : p.depends_on) {
      const SourcePos pos = src.At("depends_on." + d.program);
      if (!seen.insert(d.program).second) {
        state.errors.push_back({pos, "[program." + p.name + "] depends on `" + d.program + "` twice"});
        continue;
      }
      const ProgramSpec* target = c.FindProgram(d.program);
      if (!target) {
        state.errors.push_back({pos, UnknownProgram(c, d.program, "`depends_on` of [program." + p.name + "]")});
      } else if (d.condition == DependencyCondition::kCompleted && target->restart == RestartPolicy::kAlways) {
        state.errors.push_back({pos, "[program." + p.name + "] waits for `" + d.program +
                                         "` to be completed, but it has restart = \"always\" and never completes"});
      }
    }
  }
}

// Depth-first search over valid dependency edges; every cycle is reported once, at the
// depends_on entry of its alphabetically first program.
void CheckCycles(LoadState& state) {
  const Config& c = state.config;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < c.programs.size(); ++i) index.emplace(c.programs[i].name, i);
  enum class Color { kWhite, kGrey, kBlack };
  std::vector<Color> color(c.programs.size(), Color::kWhite);
  std::vector<size_t> stack;
  std::set<std::vector<std::string>> reported;
  std::function<void(size_t)> visit = [&](size_t u) {
    color[u] = Color::kGrey;
    stack.push_back(u);
    for (const auto& d : c.programs[u].depends_on) {
      auto it = index.find(d.program);
      if (it == index.end()) continue;
      const size_t v = it->second;
      if (color[v] == Color::kGrey) {
        std::vector<std::string> cycle;
        for (size_t k = std::find(stack.begin(), stack.end(), v) - stack.begin(); k < stack.size(); ++k)
          cycle.push_back(c.programs[stack[k]].name);
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        if (!reported.insert(cycle).second) continue;
        std::string text;
        for (const auto& name : cycle) text += name + " -> ";
        text += cycle.front();
        const size_t first = index.at(cycle.front());
        const std::string next = cycle.size() > 1 ? cycle[1] : cycle[0];
        state.errors.push_back({state.sources[first].At("depends_on." + next), "dependency cycle: " + text});
      } else if (color[v] == Color::kWhite) {
        visit(v);
      }
    }
    stack.pop_back();
    color[u] = Color::kBlack;
  };
  for (size_t i = 0; i < c.programs.size(); ++i)
    if (color[i] == Color::kWhite) visit(i);
}

void CheckGroups(LoadState& state) {
  const Config& c = state.config;
  for (size_t i = 0; i < c.groups.size(); ++i) {
    for (const auto& name : c.groups[i].programs) {
      if (!c.FindProgram(name))
        state.errors.push_back({state.group_pos[i], UnknownProgram(c, name, "[group." + c.groups[i].name + "]")});
    }
  }
}

void CheckAccounts(LoadState& state) {
  const Config& c = state.config;
  const std::string needs_root = " needs a root supd (this supd runs as uid " + std::to_string(state.uid) + ")";
  for (size_t i = 0; i < c.programs.size(); ++i) {
    const ProgramSpec& p = c.programs[i];
    const ProgramSource& src = state.sources[i];
    if (!p.user.empty()) {
      if (state.uid != 0) state.errors.push_back({src.At("user"), "`user` in [program." + p.name + "]" + needs_root});
      else if (!UserExists(p.user)) state.errors.push_back({src.At("user"), "no such user \"" + p.user + "\" (`user` in [program." + p.name + "])"});
    }
    if (!p.group.empty()) {
      if (state.uid != 0) state.errors.push_back({src.At("group"), "`group` in [program." + p.name + "]" + needs_root});
      else if (!GroupExists(p.group)) state.errors.push_back({src.At("group"), "no such group \"" + p.group + "\" (`group` in [program." + p.name + "])"});
    }
  }
  const SupervisorSpec& s = c.supervisor;
  if (!s.socket_group.empty() && !GroupExists(s.socket_group))
    state.errors.push_back({state.supervisor_keys.At("socket_group"), "no such group \"" + s.socket_group + "\" (`socket_group` in [supervisor])"});
  for (const auto& u : s.allow_users)
    if (!UserExists(u)) state.errors.push_back({state.supervisor_keys.At("allow_users"), "no such user \"" + u + "\" (`allow_users` in [supervisor])"});
  for (const auto& g : s.allow_groups)
    if (!GroupExists(g)) state.errors.push_back({state.supervisor_keys.At("allow_groups"), "no such group \"" + g + "\" (`allow_groups` in [supervisor])"});
}

// A log file is a regular file or does not exist yet (SPEC §9.1): supd appends to it, cuts it
// back to a whole line and renames it on rotation, none of which is right for /dev/null, a FIFO
// (whose open would wait for a reader) or a directory. A link is refused because supd opens
// log files with O_NOFOLLOW.
std::string LogFileTypeError(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return {};
  return NotALogFile(path, st.st_mode);
}

// Two programs writing one file would interleave and rotate it under each other. The instances
// of one program may share a file (supd writes whole lines), so paths are compared per program.
void CheckLogFiles(LoadState& state) {
  const Config& c = state.config;
  struct Owner {
    size_t program;
    std::string key;
  };
  std::map<std::string, Owner> owners;
  for (size_t i = 0; i < c.programs.size(); ++i) {
    const ProgramSpec& p = c.programs[i];
    for (const bool is_stdout : {true, false}) {
      const std::string key = is_stdout ? "stdout.file" : "stderr.file";
      const std::string& file = is_stdout ? p.stdout_log.file : p.stderr_log.file;
      if (file.empty()) continue;
      const int count = file.find("${SUP_INSTANCE") == std::string::npos ? 1 : p.instances;
      for (int index = 0; index < count; ++index) {
        const InstanceSpec spec = ForInstance(p, index, c.supervisor);
        const std::string& path = is_stdout ? spec.stdout_file : spec.stderr_file;
        if (std::string error = LogFileTypeError(path); !error.empty()) {
          state.errors.push_back({state.sources[i].At(key), "`" + key + "` of [program." + p.name + "]: " + error});
          break;
        }
        auto [it, fresh] = owners.emplace(path, Owner{i, key});
        if (fresh || (it->second.program == i && it->second.key == key)) continue;
        const std::string other = it->second.program == i
                                      ? "`" + it->second.key + "` of the same program"
                                      : "[program." + c.programs[it->second.program].name + "]";
        state.errors.push_back({state.sources[i].At(key), "`" + key + "` of [program." + p.name +
                                                              "] names the same log file as " + other + " (" + path + ")"});
        break;
      }
    }
  }
}

}  // namespace

void Validate(LoadState& state) {
  CheckUniqueNames(state);
  CheckDependencies(state);
  CheckCycles(state);
  CheckGroups(state);
  CheckAccounts(state);
  CheckLogFiles(state);
}

}  // namespace sup::conf
