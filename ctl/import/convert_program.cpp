// One [program:x] section -> one sup program (instances = numprocs), or one program per process
// plus a group when a value differs per process in a way ${SUP_INSTANCE} cannot write.
#include <algorithm>
#include <climits>

#include "ctl/import/convert.h"
#include "ctl/import/words.h"
#include "sup/conf/units.h"

namespace sup::ctl::migrate {
namespace {

constexpr long long kMaxSeconds = 10'000'000;

// Variables supd gives every child: a program may not set them (SPEC §4, Child process).
bool Reserved(const std::string& name) {
  return name == "SUP_PROGRAM" || name == "SUP_INSTANCE" || name == "SUP_SOCKET" ||
         name == "NOTIFY_SOCKET" || name == "SUP_COUNTERS_FD" || name == "WATCHDOG_USEC" ||
         name == "WATCHDOG_PID";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// supervisord writes "stdout_logfile = /dev/stdout" to send output to its own stdout, which
// is what sup's `forward` does. The fd number says which stream was named.
int ConsoleStream(const std::string& path) {
  if (path == "/dev/stdout" || path == "/dev/fd/1" || path == "/proc/self/fd/1") return 1;
  if (path == "/dev/stderr" || path == "/dev/fd/2" || path == "/proc/self/fd/2") return 2;
  return 0;
}

}  // namespace

// One attempt at a [program:x]: with process_num kept as ${SUP_INSTANCE} (`index` unset), or
// for the one process `index`. Lives for one BuildProgram call.
class ProgramBuilder {
 public:
  ProgramBuilder(Converter& c, const IniSection& s, std::optional<long long> index, long long numprocs,
                 long long first)
      : c_(c), s_(s), index_(index), numprocs_(numprocs), first_(first) {
    name_ = s.name.substr(s.name.find(':') + 1);
    auto it = c.group_of_.find(name_);
    group_ = it != c.group_of_.end() ? it->second : name_;
  }

  OutProgram program;
  bool needs_unroll = false;  // a value differs per process in a way ${SUP_INSTANCE} cannot say
  bool skip = false;          // nothing runnable (no command): the program is left out
  bool explicit_priority = false;

  void Build() {
    program.origin = "[" + s_.name + "]" + (index_ ? " process " + std::to_string(*index_) : "");
    Environment();
    if (!Command()) return;
    bool redirect = false;
    for (const auto& e : s_.entries) Key(e, redirect);
    if (program.user.empty() && program.user_comment.empty()) {
      program.user = c_.inherited_.user;
      program.user_comment = c_.inherited_.user_comment;
    }
    KillGroup();
    if (program.umask.empty()) program.umask = c_.inherited_.umask;
    if (program.directory.empty()) program.directory = c_.inherited_.directory;
    if (!program.start_retries) program.start_retries = 3;  // supervisord's default (sup's is 5)
    Log("stdout", program.stdout_log, false);
    Log("stderr", program.stderr_log, redirect);
    if (program.restart == "never") {
      if (const IniEntry* e = s_.Find("startsecs")) {
        c_.Warn(*e, "with autorestart = false sup runs the program as a one-shot (restart = \"never\"), "
                    "which counts as started once it runs: startsecs has no effect");
      }
    }
  }

 private:
  Scope ScopeFor(const IniEntry& e, bool with_program_env) const {
    Scope scope = c_.BaseScope(e);
    scope.names["program_name"] = Text(name_);
    scope.names["group_name"] = Text(group_);
    scope.names["numprocs"] = Text(std::to_string(numprocs_));
    if (index_) scope.names["process_num"] = Text(std::to_string(*index_));
    else scope.allow_process_num = true;
    if (with_program_env)
      for (const auto& [key, value] : own_env_) scope.names["ENV_" + key] = value;
    return scope;
  }

  // A value sup expands per instance (command, directory, environment, log files).
  std::optional<Template> PerInstance(const IniEntry& e, bool with_program_env = true) {
    Expanded x = Interpolate(e.value, ScopeFor(e, with_program_env));
    if (!x.error.empty()) {
      c_.Warn(e, "`" + e.value + "`: " + x.error + " (supervisord refuses it); not carried over");
      return std::nullopt;
    }
    if (!index_ && UsesProcessNum(x.value) && (first_ < 0 || !ProcessNumIsPlain(x.value, first_, numprocs_)))
      needs_unroll = true;
    return x.value;
  }

  // The scope for a key sup reads once per program; false when its value differs per process.
  std::optional<Scope> Single(const IniEntry& e) {
    Scope scope = ScopeFor(e, true);
    if (!index_) {
      Expanded x = Interpolate(e.value, scope);
      if (x.error.empty() && UsesProcessNum(x.value)) {
        needs_unroll = true;
        return std::nullopt;
      }
    }
    return scope;
  }

  void Environment() {
    env_ = c_.inherited_.environment;
    if (const IniEntry* e = s_.Find("environment")) {
      if (auto t = PerInstance(*e, false)) {
        EnvPairs pairs = ParseEnvPairs(*t);
        if (!pairs.error.empty()) {
          c_.Warn(*e, pairs.error + " (supervisord refuses it); not carried over");
        }
        for (const auto& word : pairs.skipped)
          c_.Warn(*e, "`" + word + "` is skipped, as supervisord skips it: quote values that hold spaces");
        for (const auto& [key, value] : pairs.pairs) {
          own_env_.emplace_back(key, value);
          auto it = std::find_if(env_.begin(), env_.end(), [&](const auto& kv) { return kv.first == key; });
          if (it != env_.end()) it->second = value;
          else env_.emplace_back(key, value);
        }
      }
    }
    for (const auto& [key, value] : env_) {
      const bool own = std::any_of(own_env_.begin(), own_env_.end(), [&](const auto& kv) { return kv.first == key; });
      const IniEntry* e = own ? s_.Find("environment") : c_.inherited_.environment_entry;
      if (Reserved(key) || key.empty() || key.find('=') != std::string::npos) {
        c_.Warn(*e, key + ": supd sets this variable itself; not carried over");
        continue;
      }
      if (auto text = c_.Render(value, *e, first_)) program.environment.emplace_back(key, *text);
    }
  }

  bool Command() {
    const IniEntry* e = s_.Find("command");
    if (e == nullptr) {
      c_.Warn(s_.file, s_.line, "[" + s_.name + "] has no command (supervisord refuses it); left out");
      skip = true;
      return false;
    }
    auto t = PerInstance(*e);
    SplitCommand split;
    if (t) split = SplitShlex(*t);
    if (!t || !split.error.empty() || split.words.empty()) {
      if (t) c_.Warn(*e, (split.error.empty() ? "empty" : split.error) + " (supervisord cannot run it); " +
                             "[" + s_.name + "] left out");
      skip = true;
      return false;
    }
    if (!split.shell_feature.empty()) {
      auto text = c_.Render(*t, *e, first_);
      if (!text) return skip = true, false;
      c_.Warn(*e, split.shell_feature + ": supervisord runs no shell and passes it to the program as text; "
                  "written with shell = true, as the command most likely means: check it");
      program.shell = true;
      program.shell_command = *text;
      return true;
    }
    for (const auto& word : split.words) {
      auto text = c_.Render(word, *e, first_);
      if (!text) return skip = true, false;
      program.argv.push_back(*text);
    }
    return true;
  }

  void Key(const IniEntry& e, bool& redirect) {
    const std::string& k = e.key;
    static const char* const kConsumed[] = {"command", "environment", "process_name", "numprocs",
                                            "numprocs_start", "stdout_logfile", "stdout_logfile_maxbytes",
                                            "stdout_logfile_backups", "stderr_logfile",
                                            "stderr_logfile_maxbytes", "stderr_logfile_backups"};
    if (std::find(std::begin(kConsumed), std::end(kConsumed), k) != std::end(kConsumed)) return;
    if (k == "directory") {
      if (auto t = PerInstance(e)) {
        if (auto text = c_.Render(*t, e, first_)) program.directory = *text;
      }
      return;
    }
    auto scope = Single(e);
    if (!scope) return;
    if (k == "user") {
      if (auto user = c_.User(e, *scope, program.user_comment)) program.user = *user;
    } else if (k == "umask") {
      if (auto mode = c_.Octal(e, *scope)) program.umask = mode->substr(1);
    } else if (k == "priority") {
      if (auto v = c_.Integer(e, *scope, INT_MIN, INT_MAX)) {
        program.priority = static_cast<int>(*v);
        explicit_priority = true;
      }
    } else if (k == "autostart") {
      program.autostart = c_.Bool(e, *scope);
    } else if (k == "autorestart") {
      if (auto text = c_.Scalar(e, *scope)) {
        const std::string v = Lower(*text);
        if (v == "true" || v == "yes" || v == "on" || v == "1") program.restart = "always";
        else if (v == "false" || v == "no" || v == "off" || v == "0") program.restart = "never";
        else if (v == "unexpected") program.restart = "on-failure";
        else c_.Warn(e, "`" + *text + "` is not true, false or unexpected; not carried over");
      }
    } else if (k == "startsecs") {
      if (auto v = c_.Integer(e, *scope, 0, kMaxSeconds)) program.start_seconds = static_cast<int>(*v);
    } else if (k == "startretries") {
      if (auto v = c_.Integer(e, *scope, 0, INT_MAX)) program.start_retries = static_cast<int>(*v);
    } else if (k == "stopwaitsecs") {
      if (auto v = c_.Integer(e, *scope, 0, kMaxSeconds)) program.stop_timeout = static_cast<int>(*v);
    } else if (k == "exitcodes") {
      ExitCodes(e, *scope);
    } else if (k == "stopsignal") {
      if (auto text = c_.Scalar(e, *scope)) {
        if (auto sig = conf::ParseSignal(*text)) program.stop_signal = conf::SignalName(*sig);
        else c_.Warn(e, "`" + *text + "` is not a signal; not carried over");
      }
    } else if (k == "stopasgroup") {
      stop_as_group_ = c_.Bool(e, *scope);
    } else if (k == "killasgroup") {
      kill_as_group_ = c_.Bool(e, *scope);
    } else if (k == "redirect_stderr") {
      redirect = c_.Bool(e, *scope).value_or(false);
    } else if (k == "stdout_capture_maxbytes" || k == "stderr_capture_maxbytes") {
      if (c_.Bytes(e, *scope).value_or(0) != 0)
        c_.Warn(e, "sup has no capture mode (its events are state changes: `supctl events`); not carried over");
    } else if (k == "stdout_events_enabled" || k == "stderr_events_enabled") {
      if (c_.Bool(e, *scope).value_or(false))
        c_.Warn(e, "sup emits no output events; `supctl logs -f` follows output instead; not carried over");
    } else if (k == "stdout_syslog" || k == "stderr_syslog") {
      if (c_.Bool(e, *scope).value_or(false))
        c_.Warn(e, "supd writes no syslog; with forward = true output reaches journald through supd's "
                   "stdout; not carried over");
    } else if (k == "serverurl") {
      c_.Warn(e, "programs find supd through $SUP_SOCKET; not carried over");
    } else {
      c_.Warn(e, "not a supervisord [program:x] key; ignored, as supervisord ignores it");
    }
  }

  void ExitCodes(const IniEntry& e, const Scope& scope) {
    auto text = c_.Scalar(e, scope);
    if (!text) return;
    std::vector<int> codes;
    size_t start = 0;
    while (start <= text->size()) {
      const size_t comma = text->find(',', start);
      const std::string item = text->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      IniEntry one{e.key, item, e.file, e.line};
      auto code = c_.Integer(one, scope, 0, 255);
      if (!code) return;
      codes.push_back(static_cast<int>(*code));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    program.exit_codes = codes;
  }

  // supervisord signals only the leader unless stopasgroup (stop signal and SIGKILL) or
  // killasgroup (SIGKILL only) says otherwise; sup has one switch for both.
  void KillGroup() {
    const bool stop = stop_as_group_.value_or(false);
    const bool kill = kill_as_group_.value_or(stop);
    if (const IniEntry* e = s_.Find("killasgroup"); e && stop && !kill) {
      c_.Warn(*e, "false with stopasgroup = true (supervisord refuses it): written kill_group = true");
    } else if (e && !stop && kill) {
      c_.Warn(*e, "sup signals one target for both the stop signal and SIGKILL: with kill_group = true "
                  "the stop signal goes to the whole group too");
    }
    program.kill_group = stop || kill;
  }

  // stdout_logfile & co. AUTO (the default) and NONE keep no file: supd keeps recent output in
  // memory for `supctl logs`, as supervisorctl tail read AUTO files.
  void Log(const std::string& stream, OutLog& log, bool redirected) {
    const IniEntry* file = s_.Find(stream + "_logfile");
    const IniEntry* max = s_.Find(stream + "_logfile_maxbytes");
    const IniEntry* backups = s_.Find(stream + "_logfile_backups");
    if (redirected) {
      log.merge = true;
      if (file && !IsKeyword(*file))
        c_.Warn(*file, "ignored because redirect_stderr = true, as supervisord ignores it");
      return;
    }
    log.forward = false;  // supervisord never copies program output to its own stdout
    std::string path;
    if (file && !IsKeyword(*file)) {
      auto t = PerInstance(*file);
      auto text = t ? c_.Render(*t, *file, first_) : std::nullopt;
      if (!text) return;
      path = *text;
      if (Lower(PlainText(*t)) == "syslog") {
        c_.Warn(*file, "supd writes no syslog; not carried over");
        return;
      }
    }
    if (const int console = ConsoleStream(path); console != 0) {
      log.forward = true;
      if (console != (stream == "stdout" ? 1 : 2))
        c_.Warn(*file, "sup forwards a program's " + stream + " to supd's " + stream + ", not to " + path);
      return;
    }
    if (path.empty()) {
      for (const IniEntry* e : {max, backups})
        if (e) c_.Warn(*e, "no log file to rotate (AUTO or NONE keeps none); ignored");
      return;
    }
    if (path.front() != '/' && path.front() != '$') {
      c_.Warn(*file, "a relative path: sup resolves it in logs_dir, supervisord in its working directory");
    }
    log.file = path;
    log.source_file = file->file;
    log.source_line = file->line;
    log.max_size = 50ULL * 1024 * 1024;  // supervisord's defaults, not sup's
    log.backups = 10;
    if (max) {
      if (auto scope = Single(*max))
        if (auto v = c_.Bytes(*max, *scope)) log.max_size = *v;
    }
    if (backups) {
      if (auto scope = Single(*backups))
        if (auto v = c_.Integer(*backups, *scope, 0, 1000)) log.backups = static_cast<int>(*v);
    }
  }

  static bool IsKeyword(const IniEntry& e) {
    const std::string v = Lower(e.value);
    return v == "auto" || v == "none" || v == "off";
  }

  Converter& c_;
  const IniSection& s_;
  std::optional<long long> index_;
  long long numprocs_, first_;
  std::string name_, group_;
  std::vector<std::pair<std::string, Template>> env_;      // inherited and own
  std::vector<std::pair<std::string, Template>> own_env_;  // this section's: ENV_X in its values
  std::optional<bool> stop_as_group_, kill_as_group_;
};

void Converter::Program(const IniSection& s) {
  const std::string name = s.name.substr(s.name.find(':') + 1);
  if (name.find_first_of(" :/") != std::string::npos || name.empty())
    Warn(s.file, s.line, "[" + s.name + "]: supervisord refuses a name with a space, ':' or '/'");
  long long numprocs = 1, first = 0;
  const IniEntry* numprocs_entry = s.Find("numprocs");
  if (numprocs_entry) numprocs = Integer(*numprocs_entry, BaseScope(*numprocs_entry), 0, 100'000).value_or(1);
  if (const IniEntry* e = s.Find("numprocs_start"))
    first = Integer(*e, BaseScope(*e), -1'000'000, 1'000'000).value_or(0);
  if (numprocs == 0) {
    Warn(*numprocs_entry, "0: supervisord starts no process of [" + s.name + "]; left out");
    return;
  }
  const IniEntry default_name{"process_name", "%(program_name)s", s.file, s.line};
  const IniEntry& process_name = s.Find("process_name") ? *s.Find("process_name") : default_name;
  auto process_name_for = [&](long long index) {
    Scope scope = BaseScope(process_name);
    scope.names["program_name"] = Text(name);
    scope.names["group_name"] = Text(group_of_.count(name) ? group_of_[name] : name);
    scope.names["numprocs"] = Text(std::to_string(numprocs));
    scope.names["process_num"] = Text(std::to_string(index));
    return Scalar(process_name, scope).value_or(name);
  };

  ProgramBuilder whole(*this, s, std::nullopt, numprocs, first);
  whole.Build();
  if (whole.skip) return;
  if (!whole.needs_unroll) {
    OutProgram p = std::move(whole.program);
    p.name = ClaimName(name, s);
    p.instances = static_cast<int>(numprocs);
    if (whole.explicit_priority) explicit_priority_.insert(p.name);
    const std::string first_name = process_name_for(first);
    if (numprocs > 1) {
      Warn(process_name.file, process_name.line,
           "process_name: sup names the " + std::to_string(numprocs) + " processes " + p.name + ":0 … " +
               p.name + ":" + std::to_string(numprocs - 1) + " (supervisord: " + first_name + " …)");
    } else if (first_name != name) {
      Warn(process_name.file, process_name.line, "process_name: sup names the process " + p.name +
                                                     " (supervisord: " + first_name + ")");
    }
    sup_names_[name] = {p.name};
    out_.programs.push_back(std::move(p));
    return;
  }
  // One program per process: each gets the values of its own process_num.
  std::vector<std::string> names;
  for (long long index = first; index < first + numprocs; ++index) {
    ProgramBuilder one(*this, s, index, numprocs, first);
    one.Build();
    if (one.skip) continue;
    OutProgram p = std::move(one.program);
    p.name = ClaimName(process_name_for(index), s);
    if (one.explicit_priority) explicit_priority_.insert(p.name);
    names.push_back(p.name);
    out_.programs.push_back(std::move(p));
  }
  if (names.empty()) return;
  sup_names_[name] = names;
  std::string where = "written as " + std::to_string(names.size()) + " programs (" + names.front() +
                      (names.size() > 1 ? " … " + names.back() : "") + ")";
  if (!group_of_.count(name)) {
    OutGroup g{ClaimName(name, s), "[" + s.name + "]", names};
    where += " and [group." + g.name + "]";
    out_.groups.push_back(std::move(g));
  }
  Warn(numprocs_entry ? numprocs_entry->file : s.file, numprocs_entry ? numprocs_entry->line : s.line,
       "numprocs: a value of [" + s.name + "] uses %(process_num) in a way ${SUP_INSTANCE} cannot write "
       "(zero padding, or a key sup reads once per program): " + where);
}

}  // namespace sup::ctl::migrate
