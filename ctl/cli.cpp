#include "ctl/cli.h"

#include <CLI/CLI.hpp>

#include <map>
#include <ostream>
#include <string_view>

#include "sup/conf/loader.h"
#include "sup/conf/suggest.h"

namespace sup::ctl {
namespace {

constexpr const char* kPurpose = "supctl: control a running supd over its Unix socket";

// Values checked by the parser and offered by shell completion (by option or positional name).
const std::map<std::string, std::vector<std::string>>& Choices() {
  static const std::map<std::string, std::vector<std::string>> kChoices = {
      {"--for", {"running", "ready", "healthy", "stopped", "completed"}},
      {"SHELL", {"bash", "zsh", "fish"}},
  };
  return kChoices;
}

// A subcommand whose help reads like a man page: its purpose, its options, then an example.
// `remote`: it talks to supd, so the global -s and --json apply (they may follow the command).
CLI::App* Command(CLI::App& app, const std::string& name, const std::string& purpose,
                  const std::string& example, bool remote = true) {
  CLI::App* sub = app.add_subcommand(name, purpose);
  sub->group("Commands");
  std::string footer = "Example: " + example;
  if (remote) footer += "\nAlso: -s SOCKET, --json (see supctl --help).";
  sub->footer(footer);
  return sub;
}

void Selectors(CLI::App* sub, Invocation& inv, bool required) {
  auto* opt = sub->add_option("SEL", inv.select, "all, a program, name:i (one instance) or a group")
                  ->type_name("");
  if (required) opt->required();
}

void WaitOptions(CLI::App* sub, Invocation& inv) {
  sub->add_flag("--no-wait", inv.no_wait, "return once supd accepted the request");
  sub->add_option("--timeout", inv.timeout, "how long to wait, e.g. 90s or 5m (0 = no limit)")
      ->type_name("DURATION")
      ->default_str("60s");
}

// Every subcommand's name, for NamedCommand.
constexpr std::string_view kCommandNames[] = {
    "status", "start",  "stop",    "restart", "signal", "pid",    "logs",   "reload",     "check",
    "wait",   "events", "notify",  "top",     "shutdown", "version", "import", "completion",
    "__complete-names"};

// The command argv names, when it is one of ours: then only that one is defined, since
// defining all of them was ~70 us of every run (supctl runs once per command; BENCHMARKS.md
// `supctl status` row). Empty (define all) for no command, an unknown one, or after "--".
std::string_view NamedCommand(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return {};
    if (a == "-s" || a == "--socket") {
      ++i;  // its value
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    for (std::string_view name : kCommandNames) {
      if (a == name) return name;
    }
    return {};
  }
  return {};
}

// Every subcommand of SPEC §5 (`top` renders from the status-segment reader, top.h), or
// only `only` when it is not empty.
void DefineCommands(CLI::App& app, Invocation& inv, std::string_view only) {
  auto wanted = [only](std::string_view name) { return only.empty() || only == name; };
  if (wanted("status")) {
    Selectors(Command(app, "status", "Show the state of every (or each selected) instance",
                      "supctl status web"),
              inv, false);
  }

  for (const char* verb : {"start", "stop", "restart"}) {
    if (!wanted(verb)) continue;
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

  if (wanted("signal")) {
    auto* signal = Command(app, "signal", "Send a signal to the main process of instances",
                           "supctl signal HUP web   (or: supctl signal reload web)");
    signal->add_option("SIG", inv.signal, "name (HUP, SIGHUP), number, or reload")->type_name("")->required();
    Selectors(signal, inv, true);
    signal->add_flag("--group", inv.group, "signal the whole process group");
  }

  if (wanted("pid")) {
    Selectors(Command(app, "pid", "Print supd's pid, or each selected instance's pid",
                      "supctl pid web"),
              inv, false);
  }

  if (wanted("logs")) {
    auto* logs = Command(app, "logs", "Print recent output of instances; -f follows it",
                         "supctl logs web -n 100 -f");
    Selectors(logs, inv, false);
    logs->add_flag("-f,--follow", inv.follow, "keep printing new lines until interrupted");
    logs->add_option("-n,--lines", inv.lines, "lines per instance from the ring")
        ->type_name("N")
        ->default_val(50)
        ->check(CLI::NonNegativeNumber);
    auto* out = logs->add_flag("--stdout", inv.only_stdout, "only standard output");
    auto* errs = logs->add_flag("--stderr", inv.only_stderr, "only standard error");
    out->excludes(errs);
  }

  if (wanted("reload")) {
    auto* reload = Command(app, "reload", "Re-read the config and apply the difference",
                           "supctl reload --dry-run");
    reload->add_flag("--dry-run", inv.dry_run, "print the plan, change nothing");
    reload->add_option("--timeout", inv.timeout, "how long to wait for restarts (0 = no limit)")
        ->type_name("DURATION")
        ->default_str("60s");
  }

  if (wanted("check")) {
    auto* check = Command(app, "check", "Validate a config file locally, without supd",
                          "supctl check /etc/sup/sup.toml", false);
    check->add_option("FILE", inv.file, "default: $SUP_CONFIG, else /etc/sup/sup.toml")->type_name("");
  }

  if (wanted("wait")) {
    auto* wait = Command(app, "wait", "Block until every selected instance is in a state",
                         "supctl wait db --for ready --timeout 30s");
    Selectors(wait, inv, true);
    wait->add_option("--for", inv.wait_for, "the state to wait for")
        ->type_name("STATE")
        ->required()
        ->check(CLI::IsMember(Choices().at("--for")));
    wait->add_option("--timeout", inv.timeout, "give up after this long (0 = no limit)")
        ->type_name("DURATION")
        ->default_str("60s");
  }

  if (wanted("events")) {
    Selectors(Command(app, "events", "Stream state changes as JSON lines until interrupted",
                      "supctl events web"),
              inv, false);
  }

  if (wanted("notify")) {
    auto* notify = Command(app, "notify", "Send sd_notify messages to $NOTIFY_SOCKET",
                           "supctl notify READY=1 STATUS=\"listening on :8080\"", false);
    notify->add_option("KEY=VALUE", inv.assignments, "READY=1, STATUS=…, RELOADING=1, …")
        ->type_name("")
        ->required();
    notify->add_flag("--no-block", inv.no_block, "do not wait until supd has read them");
  }

  if (wanted("top")) {
    auto* top = Command(app, "top", "Live view of every instance's state and counters (shared memory)",
                        "supctl top --once");
    top->add_flag("--once", inv.once, "print one snapshot and exit");
    top->add_option("--shm", inv.shm, "read this status segment directly, without the socket")
        ->type_name("NAME");
  }

  if (wanted("shutdown")) Command(app, "shutdown", "Stop every program and then supd", "supctl shutdown");
  if (wanted("version")) Command(app, "version", "Print the versions of supctl and supd", "supctl version");

  if (wanted("import")) {
    auto* import = Command(app, "import", "Convert another supervisor's config into sup.toml on stdout",
                           "supctl import supervisord /etc/supervisor/supervisord.conf > sup.toml", false);
    import->require_subcommand(1);
    auto formatter = std::make_shared<CLI::Formatter>();
    formatter->label("Positionals", "Arguments");
    formatter->label("SUBCOMMAND", "FORMAT");
    import->formatter(formatter);
    auto* supervisord = import->add_subcommand(
        "supervisord", "Convert a supervisord config (INI, with its [include] files) into sup.toml");
    supervisord->footer(
        "What cannot be carried over is listed on stderr, with its line, and as comments at the top\n"
        "of the output; the output always passes `supctl check`.\n"
        "Example: supctl import supervisord /etc/supervisor/supervisord.conf > sup.toml");
    supervisord->group("Formats");
    supervisord->add_option("FILE", inv.file, "the supervisord.conf to convert")->type_name("")->required();
    supervisord->callback([&inv] { inv.import_format = "supervisord"; });
  }

  if (wanted("completion")) {
    auto* completion = Command(app, "completion", "Print a shell completion script for bash, zsh or fish",
                               "source <(supctl completion bash)   (zsh: source <(supctl completion zsh))",
                               false);
    completion->add_option("SHELL", inv.shell, "bash, zsh or fish")
        ->type_name("")
        ->required()
        ->check(CLI::IsMember(Choices().at("SHELL")));
  }
  // The completion scripts ask supd for program names through this; not for people.
  if (wanted("__complete-names")) {
    app.add_subcommand("__complete-names", "program and instance names, one a line")->group("");
  }
}

// The application without its parse: supctl's whole command line, bound to `inv` and `socket`.
// `only`: see DefineCommands.
void DefineApp(CLI::App& app, Invocation& inv, std::string& socket, std::string_view only = {}) {
  app.footer(
      "With no command, supctl prints `status`. -s and --json may also follow the command.\n"
      "Selectors (SEL): all, a program (all its instances), name:i (one instance), a group.\n"
      "Exit codes: 0 ok, 1 failed, 2 usage or config error, 3 not in the wanted state,\n"
      "4 supd not reachable, 5 permission denied.\n"
      "Run `supctl COMMAND --help` for a command's options and an example.\n"
      "Example: supctl -s /run/sup/sup.sock status");
  app.fallthrough();  // -s and --json are accepted after the subcommand too
  app.require_subcommand(0, 1);
  app.get_formatter()->label("SUBCOMMAND", "COMMAND");
  app.get_formatter()->label("Positionals", "Arguments");
  app.add_option("-s,--socket", socket, "control socket (default: $SUP_SOCKET, else the default path)")
      ->type_name("PATH");
  app.add_flag("--json", inv.json, "print supd's JSON documents instead of text");
  app.add_flag("--version", inv.version, "print supctl's version and exit");
  app.allow_extras();  // what nobody took is reported by ReportExtras, with a did-you-mean
  DefineCommands(app, inv, only);
}

CommandSpec Describe(const CLI::App& app, const std::string& name) {
  CommandSpec spec{name, app.get_description(), {}, {}, {}, false, {}, {}};
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional()) {
      if (auto c = Choices().find(opt->get_name()); c != Choices().end()) spec.choices[c->first] = c->second;
      spec.positionals.push_back(opt->get_name());
      spec.last_repeats = opt->get_items_expected_max() > 1;
      continue;
    }
    std::vector<std::string> names;
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    auto& into = opt->get_items_expected_max() == 0 ? spec.flags : spec.value_options;
    into.insert(into.end(), names.begin(), names.end());
    for (const auto& n : names)
      if (auto c = Choices().find(n); c != Choices().end()) spec.choices[n] = c->second;
  }
  return spec;
}

// An argument no command or option took: an unknown command, an unknown option (of the
// command given, or a global one), or one argument too many. Says so with the closest name.
void ReportExtras(const CLI::App& app, const std::string& word, std::ostream& err) {
  const CLI::App* command = nullptr;
  for (const CLI::App* sub : app.get_subcommands()) command = sub;
  std::vector<std::string> candidates;
  std::string what;
  if (!word.empty() && word[0] == '-') {
    what = "unknown option";
    for (const CLI::App* scope : {&app, command}) {
      if (scope == nullptr) continue;
      for (const CLI::Option* opt : scope->get_options()) {
        for (const auto& s : opt->get_snames()) candidates.push_back("-" + s);
        for (const auto& l : opt->get_lnames()) candidates.push_back("--" + l);
      }
    }
  } else if (command == nullptr) {
    what = "unknown command";
    for (std::string_view name : kCommandNames) {
      if (name[0] != '_') candidates.emplace_back(name);
    }
  } else {
    what = "unexpected argument";
  }
  const std::string near = conf::ClosestMatch(word.substr(0, word.find('=')), candidates);
  err << "supctl: " << what << " '" << word << "'";
  if (command != nullptr) err << " for '" << command->get_name() << "'";
  if (!near.empty()) err << " (did you mean '" << near << "'?)";
  err << "\nRun `supctl --help` (or `supctl COMMAND --help`) for more information.\n";
}

}  // namespace

ParseOutcome ParseCommandLine(const std::vector<std::string>& args, const conf::Environment& env,
                              uid_t euid, std::ostream& out, std::ostream& err) {
  Invocation inv;
  CLI::App app(kPurpose, "supctl");
  std::string socket;
  DefineApp(app, inv, socket, NamedCommand(args));

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }
  if (inv.version) {
    out << "supctl " << SUP_VERSION << "\n";
    return 0;
  }
  if (!app.remaining().empty()) {
    ReportExtras(app, app.remaining().front(), err);
    return 2;
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

std::vector<CommandSpec> DescribeCommands() {
  Invocation inv;
  std::string socket;
  CLI::App app(kPurpose, "supctl");
  DefineApp(app, inv, socket);
  std::vector<CommandSpec> specs{Describe(app, "")};
  const CLI::App& defined = app;
  for (const CLI::App* sub : defined.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); })) {
    CommandSpec spec = Describe(*sub, sub->get_name());
    for (const CLI::App* nested : sub->get_subcommands([](const CLI::App*) { return true; }))
      spec.subcommands.push_back(Describe(*nested, nested->get_name()));
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace sup::ctl
