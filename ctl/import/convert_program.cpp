// Reading one [program:x] section, key by key; see program_builder.h.
#include "ctl/import/program_builder.h"

#include <algorithm>
#include <climits>

#include "ctl/import/words.h"
#include "sup/conf/units.h"

namespace sup::ctl::import {
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

ProgramBuilder::ProgramBuilder(Converter& c, const IniSection& s, std::optional<long long> index,
                               long long numprocs, long long first)
    : c_(c), s_(s), index_(index), numprocs_(numprocs), first_(first) {
  name_ = s.name.substr(s.name.find(':') + 1);
  auto it = c.group_of_.find(name_);
  group_ = it != c.group_of_.end() ? it->second : name_;
}

void ProgramBuilder::Build() {
  program.origin = "[" + s_.name + "]" + (index_ && numprocs_ > 1 ? " process " + std::to_string(*index_) : "");
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
  // supervisord's startretries counts only failed starts: a program that keeps exiting after
  // startsecs is restarted for ever (autorestart true, or unexpected, its default), which sup
  // does with no start limit.
  // supervisord waits about a second (its main loop's tick) before a restart, and 1 s, 2 s, …
  // after the first failed starts: sup's backoff from 1 s comes closest.
  if (program.restart != "never") {
    program.start_limit_burst = 0;
    program.backoff_initial_seconds = 1;
  }
  if (program.restart == "never") {
    if (const IniEntry* e = s_.Find("startsecs")) {
      c_.Warn(*e, "with autorestart = false sup runs the program as a one-shot (restart = \"never\"), "
                  "which counts as started once it runs: startsecs has no effect");
    }
  }
}

Scope ProgramBuilder::ScopeFor(const IniEntry& e, bool with_program_env) const {
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

std::optional<Template> ProgramBuilder::PerInstance(const IniEntry& e, bool with_program_env, bool padding_ok) {
  Expanded x = Interpolate(e.value, ScopeFor(e, with_program_env));
  if (!x.error.empty()) {
    c_.Warn(e, "`" + e.value + "`: " + x.error + " (supervisord refuses it); not carried over");
    return std::nullopt;
  }
  if (index_ || !UsesProcessNum(x.value) || ProcessNumIsPlain(x.value, first_, numprocs_)) return x.value;
  if (padding_ok && first_ >= 0) {
    c_.Warn(e, "`" + e.value + "`: ${SUP_INSTANCE} has no zero padding: one file per instance, named " +
                   "without it");
  } else {
    needs_unroll = true;
  }
  return x.value;
}

std::optional<Scope> ProgramBuilder::Single(const IniEntry& e) {
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

void ProgramBuilder::Environment() {
  env_ = c_.inherited_.environment;
  if (const IniEntry* e = s_.Find("environment")) {
    if (auto t = PerInstance(*e, false)) {
      EnvPairs pairs = ParseEnvPairs(*t);
      if (!pairs.error.empty()) {
        c_.Warn(*e, pairs.error + " (supervisord refuses it); not carried over");
      }
      for (const auto& word : pairs.skipped)
        c_.Warn(*e, "`" + word + "` is skipped, as supervisord skips it: quote values that hold spaces");
      for (const auto& pair : pairs.pairs) {
        own_env_.push_back(pair);
        auto it = std::find_if(env_.begin(), env_.end(), [&](const auto& kv) { return kv.first == pair.first; });
        if (it != env_.end()) it->second = pair.second;
        else env_.push_back(pair);
      }
    }
  }
  for (const auto& [key, value] : env_) {
    const std::string& name = key;  // a structured binding cannot be captured before clang 16
    const bool own = std::any_of(own_env_.begin(), own_env_.end(), [&](const auto& kv) { return kv.first == name; });
    const IniEntry* e = own ? s_.Find("environment") : c_.inherited_.environment_entry;
    if (Reserved(key) || key.empty() || key.find('=') != std::string::npos) {
      c_.Warn(*e, key + ": supd sets this variable itself; not carried over");
      continue;
    }
    if (auto text = c_.Render(value, *e, first_)) program.environment.emplace_back(key, *text);
  }
}

bool ProgramBuilder::Command() {
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

void ProgramBuilder::Key(const IniEntry& e, bool& redirect) {
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

void ProgramBuilder::ExitCodes(const IniEntry& e, const Scope& scope) {
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
void ProgramBuilder::KillGroup() {
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

// stdout_logfile & co.: AUTO (the default) is a file in logs_dir, named once the program's name
// is known (Converter::AutoLogFiles); NONE and /dev/null keep none: supd keeps recent output in
// memory for `supctl logs` and writes no file (a device node is no log file for sup).
void ProgramBuilder::Log(const std::string& stream, OutLog& log, bool redirected) {
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
  const std::string keyword = file ? Lower(file->value) : "auto";
  std::string path;
  if (file && !IsKeyword(*file)) {
    auto t = PerInstance(*file, true, true);
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
  if (path == "/dev/null" || (path.empty() && keyword != "auto")) {
    for (const IniEntry* e : {max, backups})
      if (e) c_.Warn(*e, "no log file to rotate (" + (path.empty() ? file->value : path) + " keeps none); ignored");
    return;
  }
  if (path.empty()) {
    log.auto_file = true;
  } else {
    if (path.starts_with("~/")) {  // supervisord expands the home directory of log files
      if (c_.options_.env.count("HOME")) {
        path = "${HOME}" + path.substr(1);
      } else {
        c_.Warn(*file, "`~` is supervisord's home directory; HOME is not set here to write ${HOME}");
      }
    }
    if (path.front() != '/' && path.front() != '$') {
      c_.Warn(*file, "a relative path: sup resolves it in logs_dir, supervisord in its working directory");
    }
    log.file = path;
    log.source_file = file->file;
    log.source_line = file->line;
  }
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

bool ProgramBuilder::IsKeyword(const IniEntry& e) {
  const std::string v = Lower(e.value);
  return v == "auto" || v == "none" || v == "off";
}

}  // namespace sup::ctl::import
