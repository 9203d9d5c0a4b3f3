#include "ctl/cli.h"

#include <CLI/CLI.hpp>

#include <ostream>

#include "sup/conf/loader.h"

namespace sup::ctl {
namespace {

CLI::App* Command(CLI::App& app, const std::string& name, const std::string& purpose,
                  const std::string& example) {
  CLI::App* sub = app.add_subcommand(name, purpose);
  sub->footer("Example: " + example);
  return sub;
}

void Selectors(CLI::App* sub, Invocation& inv, bool required) {
  auto* opt = sub->add_option("SEL", inv.select,
                              "all, a program, name:i (one instance) or a group");
  if (required) opt->required();
}

void WaitOptions(CLI::App* sub, Invocation& inv) {
  sub->add_flag("--no-wait", inv.no_wait, "return once supd accepted the request");
  sub->add_option("--timeout", inv.timeout, "how long to wait, e.g. 90s or 5m (0 = no limit)")
      ->default_str("60s");
}

// Every subcommand of SPEC §5 (`top` renders from the status-segment reader, top.h).
void DefineCommands(CLI::App& app, Invocation& inv) {
  Selectors(Command(app, "status", "Show the state of every (or each selected) instance",
                    "supctl status web"),
            inv, false);

  for (const char* verb : {"start", "stop", "restart"}) {
    const std::string v = verb;
    auto* sub = Command(app, v, v == "start"   ? "Start instances and wait until they are up"
                                : v == "stop" ? "Stop instances and wait until they are down"
                                              : "Restart instances and wait until they are up",
                        "supctl " + v + " web:0 worker --timeout 2m");
    Selectors(sub, inv, true);
    WaitOptions(sub, inv);
    if (v == "restart") {
      sub->add_flag("--with-dependants", inv.with_dependants, "also restart what depends on them");
    }
  }

  auto* signal = Command(app, "signal", "Send a signal to the main process of instances",
                         "supctl signal HUP web   (or: supctl signal reload web)");
  signal->add_option("SIG", inv.signal, "name (HUP, SIGHUP), number, or reload")->required();
  Selectors(signal, inv, true);
  signal->add_flag("--group", inv.group, "signal the whole process group");

  Selectors(Command(app, "pid", "Print supd's pid, or each selected instance's pid",
                    "supctl pid web"),
            inv, false);

  auto* logs = Command(app, "logs", "Print recent output of instances; -f follows it",
                       "supctl logs web -n 100 -f");
  Selectors(logs, inv, false);
  logs->add_flag("-f,--follow", inv.follow, "keep printing new lines until interrupted");
  logs->add_option("-n,--lines", inv.lines, "lines per instance from the ring")
      ->default_val(50)
      ->check(CLI::NonNegativeNumber);
  auto* out = logs->add_flag("--stdout", inv.only_stdout, "only standard output");
  auto* errs = logs->add_flag("--stderr", inv.only_stderr, "only standard error");
  out->excludes(errs);

  auto* reload = Command(app, "reload", "Re-read the config and apply the difference",
                         "supctl reload --dry-run");
  reload->add_flag("--dry-run", inv.dry_run, "print the plan, change nothing");
  reload->add_option("--timeout", inv.timeout, "how long to wait for restarts (0 = no limit)")
      ->default_str("60s");

  auto* check = Command(app, "check", "Validate a config file locally, without supd",
                        "supctl check /etc/sup/sup.toml");
  check->add_option("FILE", inv.file, "default: $SUP_CONFIG, else /etc/sup/sup.toml");

  auto* wait = Command(app, "wait", "Block until every selected instance is in a state",
                       "supctl wait db --for ready --timeout 30s");
  Selectors(wait, inv, true);
  wait->add_option("--for", inv.wait_for, "running, ready, healthy, stopped or completed")
      ->required()
      ->check(CLI::IsMember({"running", "ready", "healthy", "stopped", "completed"}));
  wait->add_option("--timeout", inv.timeout, "give up after this long (0 = no limit)")
      ->default_str("60s");

  Selectors(Command(app, "events", "Stream state changes as JSON lines until interrupted",
                    "supctl events web"),
            inv, false);

  auto* notify = Command(app, "notify", "Send sd_notify messages to $NOTIFY_SOCKET",
                         "supctl notify READY=1 STATUS=\"listening on :8080\"");
  notify->add_option("KEY=VALUE", inv.assignments, "READY=1, STATUS=…, RELOADING=1, …")->required();
  notify->add_flag("--no-block", inv.no_block, "do not wait until supd has read them");

  auto* top = Command(app, "top", "Live view of every instance's state and counters (shared memory)",
                      "supctl top --once");
  top->add_flag("--once", inv.once, "print one snapshot and exit");
  top->add_option("--shm", inv.shm, "read this status segment directly, without the socket");

  Command(app, "shutdown", "Stop every program and then supd", "supctl shutdown");
  Command(app, "version", "Print the versions of supctl and supd", "supctl version");
}

}  // namespace

ParseOutcome ParseCommandLine(const std::vector<std::string>& args, const conf::Environment& env,
                              uid_t euid, std::ostream& out, std::ostream& err) {
  Invocation inv;
  CLI::App app("supctl: control a running supd over its socket", "supctl");
  app.footer("Exit codes: 0 ok, 1 failed, 2 usage or config error, 3 not in the wanted state,\n"
             "4 supd not reachable, 5 permission denied.\nExample: supctl -s /run/sup/sup.sock status");
  app.fallthrough();  // -s and --json are accepted after the subcommand too
  app.require_subcommand(0, 1);
  std::string socket;
  app.add_option("-s,--socket", socket, "control socket (default: $SUP_SOCKET, else the default path)");
  app.add_flag("--json", inv.json, "print supd's JSON documents instead of text");
  DefineCommands(app, inv);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }
  if (!app.get_subcommands().empty()) inv.verb = app.get_subcommands().front()->get_name();

  if (!socket.empty()) {
    inv.socket = socket;
  } else if (auto it = env.find("SUP_SOCKET"); it != env.end() && !it->second.empty()) {
    inv.socket = it->second;
  } else {
    inv.socket = conf::DefaultSocketPath(euid, env);
  }
  return inv;
}

}  // namespace sup::ctl
