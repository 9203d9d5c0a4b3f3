// Reading one [program.NAME] table (SPEC §3) into a ProgramSpec, defaults kept for absent keys.
#include <algorithm>
#include <charconv>
#include <limits>

#include "document.h"

namespace sup::conf {
namespace {

constexpr int kMaxInstances = 100'000;
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

// Variables that supd itself gives every child (SPEC §4 "Child process", step 5).
constexpr std::string_view kReservedEnv[] = {"SUP_PROGRAM",     "SUP_INSTANCE", "SUP_SOCKET",
                                             "NOTIFY_SOCKET",   "SUP_COUNTERS_FD",
                                             "WATCHDOG_USEC",   "WATCHDOG_PID"};

// Table entries in the order they were written (toml++ keeps tables sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : t) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

// An argv written as an array, or as a string split into words (each word then expanded);
// with `shell`, the string goes whole to /bin/sh -c.
std::optional<std::vector<std::string>> ReadArgv(TableReader& r, std::string_view key, bool shell) {
  const auto* node = r.Find(key);
  if (!node) return std::nullopt;
  std::vector<std::string> argv;
  if (const auto* array = node->as_array()) {
    if (shell) {
      r.ctx().Error(r.Pos(key), "`shell = true` in " + r.where() + " needs `" + std::string(key) +
                                    "` as a string, not an array");
      return std::nullopt;
    }
    bool ok = true;
    for (const auto& item : *array) {
      auto text = r.Expand(item, key, InstanceVars::kKeep);
      ok = ok && text.has_value();
      if (text) argv.push_back(std::move(*text));
    }
    if (!ok) return std::nullopt;
  } else if (const auto* s = node->as_string()) {
    if (shell) {
      auto text = r.Expand(*node, key, InstanceVars::kKeep);
      if (!text) return std::nullopt;
      if (!text->empty()) argv = {"/bin/sh", "-c", std::move(*text)};
    } else {
      WordsResult words = SplitWords(s->get());
      if (!words.error.empty()) {
        r.ctx().Error(r.Pos(key), words.error + " (`" + std::string(key) + "` of " + r.where() + ")");
        return std::nullopt;
      }
      for (const auto& word : words.words) {
        VarsResult v = ExpandVars(word, r.ctx().env, InstanceVars::kKeep);
        if (!v.error.empty()) {
          r.ctx().Error(r.Pos(key), v.error + " in `" + std::string(key) + "` of " + r.where());
          return std::nullopt;
        }
        argv.push_back(std::move(v.text));
      }
    }
  } else {
    r.TypeError(key, *node, "an array of strings or a string");
    return std::nullopt;
  }
  if (argv.empty() || argv[0].empty()) {
    r.ctx().Error(r.Pos(key), "`" + std::string(key) + "` in " + r.where() + " is empty");
    return std::nullopt;
  }
  return argv;
}

void ReadEnvironment(TableReader& r, ProgramSpec& p) {
  const toml::table* t = r.SubTable("environment");
  if (!t) return;
  Context& ctx = r.ctx();
  TableReader env(ctx, *t, "`environment` of " + r.where());
  for (const auto& [key, node] : InFileOrder(*t)) {
    const std::string name(key->str());
    if (std::find(std::begin(kReservedEnv), std::end(kReservedEnv), name) != std::end(kReservedEnv)) {
      ctx.Error(ctx.Pos(key->source()), "`environment` of " + r.where() + " may not set " + name +
                                            ": supd sets it for every child");
      continue;
    }
    if (name.empty() || name.find('=') != std::string::npos) {
      ctx.Error(ctx.Pos(key->source()), "bad environment variable name \"" + name + "\" in " + r.where());
      continue;
    }
    std::string value;
    if (const auto* i = node->as_integer()) value = std::to_string(i->get());
    else if (const auto* b = node->as_boolean()) value = b->get() ? "true" : "false";
    else if (auto text = env.Expand(*node, name, InstanceVars::kKeep)) value = std::move(*text);
    else continue;
    p.environment.emplace_back(name, std::move(value));
  }
}

void ReadDependencies(TableReader& r, ProgramSpec& p, ProgramSource& src) {
  const auto* node = r.Find("depends_on");
  if (!node) return;
  src.pos["depends_on"] = r.Pos("depends_on");
  Context& ctx = r.ctx();
  if (const auto* array = node->as_array()) {
    for (const auto& item : *array) {
      const auto* s = item.as_string();
      if (!s) {
        r.TypeError("depends_on", item, "an array of program names");
        continue;
      }
      src.pos.emplace("depends_on." + s->get(), ctx.Pos(item.source()));
      p.depends_on.push_back({s->get(), DependencyCondition::kReady});
    }
  } else if (const auto* table = node->as_table()) {
    TableReader deps(ctx, *table, "`depends_on` of " + r.where());
    for (const auto& [key, value] : InFileOrder(*table)) {
      Dependency d{std::string(key->str()), DependencyCondition::kReady};
      deps.Enum(d.program, d.condition, {{"started", DependencyCondition::kStarted},
                                         {"ready", DependencyCondition::kReady},
                                         {"completed", DependencyCondition::kCompleted}});
      src.pos.emplace("depends_on." + d.program, ctx.Pos(key->source()));
      p.depends_on.push_back(std::move(d));
    }
  } else {
    r.TypeError("depends_on", *node, "an array of program names or a table of conditions");
  }
}

void ReadOutput(TableReader& r, const std::string& name, std::string_view key, OutputSpec& out,
                ProgramSource& src) {
  const toml::table* t = r.SubTable(key);
  if (!t) return;
  const bool is_stderr = key == "stderr";
  TableReader o(r.ctx(), *t, "[program." + name + "." + std::string(key) + "]");
  if (is_stderr) {
    o.CheckKeys({"file", "max_size", "backups", "forward", "forward_format", "backpressure",
                 "timestamps", "ring", "merge"});
  } else {
    if (const auto* merge = o.Find("merge")) {
      r.ctx().Error(r.ctx().Pos(merge->source()),
                    "`merge` is only valid in [program." + name + ".stderr] (it sends stderr into stdout's sinks)");
    }
    o.CheckKeys({"file", "max_size", "backups", "forward", "forward_format", "backpressure",
                 "timestamps", "ring", "merge"});
  }
  o.String("file", out.file, InstanceVars::kKeep);
  if (o.Find("file")) src.pos[std::string(key) + ".file"] = o.Pos("file");
  o.Size("max_size", out.max_size);
  o.Int("backups", out.backups, 0, 1000);
  o.Bool("forward", out.forward);
  o.Enum("forward_format", out.forward_format,
         {{"prefix", ForwardFormat::kPrefix}, {"json", ForwardFormat::kJson}});
  o.Enum("backpressure", out.backpressure, {{"block", Backpressure::kBlock}, {"drop", Backpressure::kDrop}});
  o.Bool("timestamps", out.timestamps);
  o.Size("ring", out.ring);
  if (o.Find("ring")) src.pos[std::string(key) + ".ring"] = o.Pos("ring");
  if (is_stderr) o.Bool("merge", out.merge);
}

// One ring holds both streams, so the bound is on their sum; the error is reported at the
// larger of the `ring` keys the file sets (each alone may be within the bound).
void CheckRing(TableReader& r, const ProgramSpec& p, const ProgramSource& src) {
  constexpr std::uint64_t kMax = OutputSpec::kMaxInstanceRing;
  const std::uint64_t out = p.stdout_log.ring, err = p.stderr_log.ring;
  if (out <= kMax && err <= kMax - out) return;
  const bool at_stderr = src.pos.contains("stderr.ring") && (!src.pos.contains("stdout.ring") || err > out);
  const std::string stream = at_stderr ? "stderr" : "stdout";
  r.ctx().Error(src.At(stream + ".ring"),
                "`ring` in [program." + p.name + "." + stream + "] is too large: an instance's ring "
                "(stdout.ring + stderr.ring, here " + std::to_string(out) + " + " + std::to_string(err) +
                    " bytes) may hold at most 64MiB (" + std::to_string(kMax) + " bytes)");
}

void ReadHealth(TableReader& r, const std::string& name, HealthSpec& h, ProgramSource& src) {
  const toml::table* t = r.SubTable("health");
  if (!t) return;
  Context& ctx = r.ctx();
  const std::string where = "[program." + name + ".health]";
  TableReader hr(ctx, *t, where);
  hr.CheckKeys({"exec", "tcp", "http", "interval", "timeout", "retries", "start_period", "on_unhealthy"});
  src.pos["health"] = r.Pos("health");
  const int kinds = (hr.Find("exec") ? 1 : 0) + (hr.Find("tcp") ? 1 : 0) + (hr.Find("http") ? 1 : 0);
  if (kinds == 0) ctx.Error(r.Pos("health"), where + " needs one of `exec`, `tcp` or `http`");
  if (kinds > 1) ctx.Error(r.Pos("health"), where + " may have only one of `exec`, `tcp` and `http`");
  if (hr.Find("exec")) {
    if (auto argv = ReadArgv(hr, "exec", false)) {
      h.kind = HealthKind::kExec;
      h.exec = std::move(*argv);
    }
  }
  if (hr.Find("tcp")) {
    hr.String("tcp", h.tcp, InstanceVars::kKeep);
    const size_t colon = h.tcp.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == h.tcp.size()) {
      ctx.Error(hr.Pos("tcp"), "`tcp` in " + where + " must be \"host:port\", not \"" + h.tcp + "\"");
      h.tcp.clear();
    } else {
      h.kind = HealthKind::kTcp;
    }
  }
  if (hr.Find("http")) {
    hr.String("http", h.http, InstanceVars::kKeep);
    if (!h.http.starts_with("http://") || h.http.size() <= 7) {
      ctx.Error(hr.Pos("http"), "`http` in " + where + " must be an http:// URL, not \"" + h.http + "\"");
      h.http.clear();
    } else {
      h.kind = HealthKind::kHttp;
    }
  }
  hr.Duration("interval", h.interval);
  if (h.interval.count() == 0) ctx.Error(hr.Pos("interval"), "`interval` in " + where + " must be above 0");
  hr.Duration("timeout", h.timeout);
  hr.Int("retries", h.retries, 1, kIntMax);
  hr.Duration("start_period", h.start_period);
  hr.Enum("on_unhealthy", h.on_unhealthy, {{"restart", OnUnhealthy::kRestart}, {"mark", OnUnhealthy::kMark}});
}

}  // namespace

// memory_max, memory_check_interval and cpu_max (SPEC §9.2).
void ReadResources(TableReader& r, ProgramSpec& p) {
  Context& ctx = r.ctx();
  constexpr std::uint64_t kUnread = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t memory_max = kUnread;  // stays so when absent or not a size (reported then)
  r.Size("memory_max", memory_max);
  if (memory_max == 0)
    ctx.Error(r.Pos("memory_max"), "`memory_max` in " + r.where() + " must be above 0 (leave it out for no limit)");
  else if (memory_max != kUnread)
    p.memory_max = memory_max;
  r.Duration("memory_check_interval", p.memory_check_interval);
  if (r.Find("memory_check_interval") && p.memory_check_interval.count() <= 0)
    ctx.Error(r.Pos("memory_check_interval"), "`memory_check_interval` in " + r.where() + " must be above 0");
  const toml::node* cpu = r.Find("cpu_max");
  if (cpu == nullptr) return;
  p.cpu_max_pos = r.Pos("cpu_max");
  const auto* text = cpu->as_string();
  if (text == nullptr) return r.TypeError("cpu_max", *cpu, "a percentage of one CPU (\"50%\")");
  const std::string& s = text->get();
  int percent = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), percent);
  if (ec != std::errc() || ptr + 1 != s.data() + s.size() || *ptr != '%' || percent < 1 || percent > 100'000) {
    ctx.Error(p.cpu_max_pos, "bad cpu_max \"" + s + "\" in " + r.where() +
                                 " (expected a share of one CPU from \"1%\" to \"100000%\", e.g. \"50%\" or \"200%\")");
    return;
  }
  p.cpu_max = percent;
}

void ReadProgram(TableReader& r, ProgramSpec& p, ProgramSource& src) {
  Context& ctx = r.ctx();
  r.CheckKeys({"command", "shell", "directory", "user", "group", "umask", "environment", "clear_env",
               "instances", "autostart", "restart", "exit_codes", "start_seconds", "start_timeout",
               "start_retries", "backoff", "start_limit", "ready", "depends_on", "priority",
               "stop_signal", "stop_timeout", "kill_group", "reload_signal", "forward_signals",
               "watchdog", "on_fatal", "limits", "stdout", "stderr", "health", "memory_max",
               "memory_check_interval", "cpu_max"});
  for (const char* key : {"command", "user", "group", "instances", "restart", "ready"})
    if (r.Find(key)) src.pos[key] = r.Pos(key);

  r.Bool("shell", p.shell);
  if (!r.Find("command")) {
    ctx.Error(p.pos, "missing `command` in " + r.where() + " (it is required)");
  } else if (auto argv = ReadArgv(r, "command", p.shell)) {
    p.command = std::move(*argv);
  }
  r.String("directory", p.directory, InstanceVars::kKeep);
  r.String("user", p.user);
  r.String("group", p.group);
  r.OptionalMode("umask", p.umask, 0777);
  ReadEnvironment(r, p);
  r.Bool("clear_env", p.clear_env);
  r.Int("instances", p.instances, 1, kMaxInstances);
  r.Bool("autostart", p.autostart);
  r.Enum("restart", p.restart, {{"always", RestartPolicy::kAlways},
                                {"on-failure", RestartPolicy::kOnFailure},
                                {"never", RestartPolicy::kNever}});
  r.IntList("exit_codes", p.exit_codes, 0, 255);
  r.Duration("start_seconds", p.start_seconds);
  r.Duration("start_timeout", p.start_timeout);
  r.Int("start_retries", p.start_retries, 0, kIntMax);

  if (const toml::table* t = r.SubTable("backoff")) {
    TableReader b(ctx, *t, "`backoff` of " + r.where());
    b.CheckKeys({"initial", "max", "factor", "jitter"});
    b.Duration("initial", p.backoff.initial);
    b.Duration("max", p.backoff.max);
    b.Float("factor", p.backoff.factor, 1.0, std::numeric_limits<double>::infinity());
    b.Float("jitter", p.backoff.jitter, 0.0, 1.0);
  }
  if (const toml::table* t = r.SubTable("start_limit")) {
    TableReader s(ctx, *t, "`start_limit` of " + r.where());
    s.CheckKeys({"burst", "interval"});
    s.Int("burst", p.start_limit.burst, 0, kIntMax);
    s.Duration("interval", p.start_limit.interval);
  }
  r.Enum("ready", p.ready, {{"started", ReadyMode::kStarted},
                            {"notify", ReadyMode::kNotify},
                            {"health", ReadyMode::kHealth}});
  ReadDependencies(r, p, src);
  r.Int("priority", p.priority, std::numeric_limits<int>::min(), kIntMax);
  r.Signal("stop_signal", p.stop_signal);
  r.Duration("stop_timeout", p.stop_timeout);
  r.Bool("kill_group", p.kill_group);
  r.Signal("reload_signal", p.reload_signal);
  r.Bool("forward_signals", p.forward_signals);
  r.OptionalDuration("watchdog", p.watchdog);
  r.Enum("on_fatal", p.on_fatal, {{"ignore", OnFatal::kIgnore}, {"shutdown", OnFatal::kShutdown}});
  if (const toml::table* t = r.SubTable("limits")) {
    TableReader l(ctx, *t, "`limits` of " + r.where());
    l.CheckKeys({"nofile", "nproc", "core"});
    l.Limit("nofile", p.limits.nofile);
    l.Limit("nproc", p.limits.nproc);
    l.Limit("core", p.limits.core);
  }
  ReadResources(r, p);
  ReadOutput(r, p.name, "stdout", p.stdout_log, src);
  ReadOutput(r, p.name, "stderr", p.stderr_log, src);
  CheckRing(r, p, src);
  ReadHealth(r, p.name, p.health, src);
  if (p.ready == ReadyMode::kHealth && !r.Find("health"))
    ctx.Error(r.Pos("ready"), "ready = \"health\" in " + r.where() + " needs a [program." + p.name + ".health] check");
}

}  // namespace sup::conf
