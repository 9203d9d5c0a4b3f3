// What shell completion learns from the parser's definitions, and the scripts made from it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "ctl/cli.h"
#include "ctl/completion.h"

using namespace sup::ctl;

namespace {

const CommandSpec& Find(const std::vector<CommandSpec>& specs, const std::string& name) {
  auto it = std::find_if(specs.begin(), specs.end(), [&](const CommandSpec& s) { return s.name == name; });
  INFO(name);
  REQUIRE(it != specs.end());
  return *it;
}

bool Has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST_CASE("DescribeCommands: global options first, then every visible command", "[ctl][completion]") {
  const auto specs = DescribeCommands();
  REQUIRE(specs.size() > 10);
  CHECK(specs[0].name.empty());
  CHECK(Has(specs[0].value_options, "--socket"));
  CHECK(Has(specs[0].flags, "--json"));
  for (const char* name : {"status", "start", "stop", "restart", "signal", "pid", "logs", "reload", "check",
                           "wait", "events", "notify", "top", "shutdown", "version", "import", "completion"}) {
    Find(specs, name);
  }
  CHECK(std::none_of(specs.begin(), specs.end(), [](const CommandSpec& s) { return s.name == "__complete-names"; }));
}

TEST_CASE("DescribeCommands: flags, value options, positionals and choices -> as the parser has them", "[ctl][completion]") {
  const auto specs = DescribeCommands();
  const auto& logs = Find(specs, "logs");
  CHECK(Has(logs.flags, "-f"));
  CHECK(Has(logs.flags, "--follow"));
  CHECK(Has(logs.value_options, "-n"));
  CHECK(Has(logs.value_options, "--lines"));
  CHECK(logs.positionals == std::vector<std::string>{"SEL"});
  CHECK(logs.last_repeats);
  const auto& signal = Find(specs, "signal");
  CHECK(signal.positionals == std::vector<std::string>{"SIG", "SEL"});
  const auto& wait = Find(specs, "wait");
  CHECK(wait.choices.at("--for") == std::vector<std::string>{"running", "ready", "healthy", "stopped", "completed"});
  const auto& check = Find(specs, "check");
  CHECK_FALSE(check.last_repeats);
  const auto& import = Find(specs, "import");
  REQUIRE(import.subcommands.size() == 1);
  CHECK(import.subcommands[0].name == "supervisord");
  CHECK(import.subcommands[0].positionals == std::vector<std::string>{"FILE"});
  CHECK(Find(specs, "completion").choices.at("SHELL") == std::vector<std::string>{"bash", "zsh", "fish"});
}

TEST_CASE("CompletionScript: bash, zsh and fish -> their drivers around the same tables", "[ctl][completion]") {
  const std::string bash = CompletionScript("bash");
  const std::string zsh = CompletionScript("zsh");
  CHECK(bash.find("complete -F _supctl supctl") != std::string::npos);
  CHECK(zsh.rfind("#compdef supctl", 0) == 0);
  CHECK(zsh.find("compdef _supctl supctl") != std::string::npos);
  for (const std::string* script : {&bash, &zsh}) {
    CHECK(script->find("'wait --for') echo 'running ready healthy stopped completed'") != std::string::npos);
    CHECK(script->find("'import/supervisord') opts='-h --help' vopts=''; posl=(FILE)") != std::string::npos);
    CHECK(script->find("__complete-names") != std::string::npos);
  }
  CHECK(zsh.find("'pid:Print supd'\\''s pid, or each selected instance'\\''s pid'") != std::string::npos);
  const std::string fish = CompletionScript("fish");
  CHECK(fish.find("complete -c supctl -n '__supctl_at \"\" 0' -a 'status'") != std::string::npos);
  CHECK(fish.find("-n '__supctl_in_command wait' -l for -x -a 'running ready healthy stopped completed'") !=
        std::string::npos);
  CHECK(fish.find("-n '__supctl_at import 1' -F") != std::string::npos);  // supervisord FILE
  CHECK(fish.find("-n '__supctl_at restart 0+' -f -a '(__supctl_names)'") != std::string::npos);
  CHECK(CompletionScript("tcsh").empty());
}

TEST_CASE("supctl args: import supervisord FILE and completion SHELL -> parsed", "[ctl][cli]") {
  std::ostringstream out, err;
  auto parsed = ParseCommandLine({"import", "supervisord", "/etc/supervisord.conf"}, {}, 0, out, err);
  REQUIRE(std::holds_alternative<Invocation>(parsed));
  const auto& inv = std::get<Invocation>(parsed);
  CHECK(inv.verb == "import");
  CHECK(inv.import_format == "supervisord");
  CHECK(inv.file == std::optional<std::string>("/etc/supervisord.conf"));
  auto shell = ParseCommandLine({"completion", "zsh"}, {}, 0, out, err);
  REQUIRE(std::holds_alternative<Invocation>(shell));
  CHECK(std::get<Invocation>(shell).shell == "zsh");
  CHECK(std::get<Invocation>(ParseCommandLine({"completion", "fish"}, {}, 0, out, err)).shell == "fish");
  CHECK(std::get<int>(ParseCommandLine({"completion", "tcsh"}, {}, 0, out, err)) == 2);
  CHECK(std::get<int>(ParseCommandLine({"import"}, {}, 0, out, err)) == 2);
  CHECK(std::get<int>(ParseCommandLine({"import", "supervisord"}, {}, 0, out, err)) == 2);
}

TEST_CASE("supctl --help: purpose, commands, selectors, exit codes and an example", "[ctl][cli]") {
  std::ostringstream out, err;
  CHECK(std::get<int>(ParseCommandLine({"--help"}, {}, 0, out, err)) == 0);
  const std::string help = out.str();
  CHECK(help.rfind("supctl: control a running supd over its Unix socket\n", 0) == 0);
  CHECK(help.find("Usage: supctl [OPTIONS] [COMMAND]") != std::string::npos);
  CHECK(help.find("Commands:\n") != std::string::npos);
  CHECK(help.find("  import ") != std::string::npos);
  CHECK(help.find("  completion ") != std::string::npos);
  CHECK(help.find("__complete-names") == std::string::npos);
  CHECK(help.find("Selectors (SEL)") != std::string::npos);
  CHECK(help.find("Exit codes:") != std::string::npos);
  CHECK(help.find("Example: supctl") != std::string::npos);
}

TEST_CASE("supctl COMMAND --help: every command -> a purpose line and an example", "[ctl][cli]") {
  for (const auto& spec : DescribeCommands()) {
    if (spec.name.empty()) continue;
    std::vector<std::vector<std::string>> lines{{spec.name, "--help"}};
    for (const auto& sub : spec.subcommands) lines.push_back({spec.name, sub.name, "--help"});
    for (const auto& args : lines) {
      std::ostringstream out, err;
      INFO(args[0] << " " << args[1]);
      CHECK(std::get<int>(ParseCommandLine(args, {}, 0, out, err)) == 0);
      const std::string help = out.str();
      CHECK(help.find('\n') > 10);  // a purpose line first
      CHECK(help.find("Usage: supctl " + args[0]) != std::string::npos);
      const size_t example = help.find("\nExample: ");
      REQUIRE(example != std::string::npos);
      CHECK(help.find("supctl " + args[0], example) != std::string::npos);
    }
  }
}
