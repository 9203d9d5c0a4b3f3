// `command` as a string: shell-like word splitting, no shell, and shell = true.
#include <catch2/catch.hpp>

#include "conf_test_util.h"
#include "sup/conf/expand.h"

using namespace sup::conf;
using sup::conf::test::LoadOk;
using sup::conf::test::OnlyError;
using Argv = std::vector<std::string>;

namespace {

Argv CommandOf(const std::string& toml_value, bool shell = false) {
  const Config c = LoadOk("[program.a]\ncommand = " + toml_value + (shell ? "\nshell = true\n" : "\n"));
  return c.programs.at(0).command;
}

}  // namespace

TEST_CASE("Command string: blanks separate words, runs of blanks count once", "[conf][command]") {
  CHECK(CommandOf(R"("/usr/bin/python3  -m http.server	8080")") ==
        Argv{"/usr/bin/python3", "-m", "http.server", "8080"});
}

TEST_CASE("Command string: single quotes keep everything literal", "[conf][command]") {
  CHECK(CommandOf(R"("/bin/sh -c 'echo a | b; c > d'")") == Argv{"/bin/sh", "-c", "echo a | b; c > d"});
  CHECK(CommandOf(R"("echo 'a\\b' ''")") == Argv{"echo", "a\\b", ""});  // TOML's "\\" is one backslash
}

TEST_CASE("Command string: double quotes join words and honour backslash escapes -> one word",
          "[conf][command]") {
  CHECK(CommandOf(R"('echo "hello world" "say \"hi\"" "a\b" "c\\d"')") ==
        Argv{"echo", "hello world", "say \"hi\"", "a\\b", "c\\d"});
  CHECK(CommandOf(R"('echo ab"c d"ef')") == Argv{"echo", "abc def"});
}

TEST_CASE("Command string: unquoted backslash escapes the next character", "[conf][command]") {
  CHECK(CommandOf(R"('echo a\ b \| \;')") == Argv{"echo", "a b", "|", ";"});
}

TEST_CASE("Command string: no globs, ~ or $( ) -> passed through as text", "[conf][command]") {
  CHECK(CommandOf(R"("ls *.txt ~/x")") == Argv{"ls", "*.txt", "~/x"});
  CHECK(CommandOf(R"x('echo "$(date)"')x") == Argv{"echo", "$(date)"});
}

TEST_CASE("Command string: each word is expanded after splitting", "[conf][command]") {
  // ${DATA} is "/srv/data"; a value with blanks would still be one word.
  CHECK(CommandOf(R"("/bin/db --data ${DATA} --port=${PORT:-1}")") ==
        Argv{"/bin/db", "--data", "/srv/data", "--port=8080"});
}

TEST_CASE("Command string: an unquoted shell operator -> error suggesting shell = true", "[conf][command]") {
  for (const char* op : {"|", "&", ";", "<", ">", "(", ")", "`"}) {
    const ConfigError e = OnlyError(std::string("[program.a]\ncommand = \"/bin/a ") + op + " b\"\n");
    INFO(op);
    CHECK(e.pos.line == 2);
    CHECK(e.pos.column == 11);
    CHECK(e.message == std::string("unquoted `") + op +
                           "` in command: sup runs no shell; set `shell = true` to run the command through "
                           "/bin/sh -c (`command` of [program.a])");
  }
}

TEST_CASE("Command string: unterminated quotes and empty commands -> errors", "[conf][command]") {
  CHECK(OnlyError("[program.a]\ncommand = \"echo 'a\"\n").message ==
        "unterminated single quote in command (`command` of [program.a])");
  CHECK(OnlyError("[program.a]\ncommand = 'echo \"a'\n").message ==
        "unterminated double quote in command (`command` of [program.a])");
  CHECK(OnlyError("[program.a]\ncommand = \"  \"\n").message == "`command` in [program.a] is empty");
  CHECK(OnlyError("[program.a]\ncommand = []\n").message == "`command` in [program.a] is empty");
}

TEST_CASE("Command with shell = true -> /bin/sh -c with the whole string", "[conf][command]") {
  CHECK(CommandOf(R"("echo a | tr a b; exit 3")", true) == Argv{"/bin/sh", "-c", "echo a | tr a b; exit 3"});
}

TEST_CASE("Command with shell = true: $${VAR} is left for the shell as ${VAR}", "[conf][command]") {
  const Config c = LoadOk("[program.a]\nshell = true\ncommand = \"echo $${HOME} ${HOME} $HOME\"\n");
  const ProgramSpec& p = c.programs[0];
  CHECK(p.command == Argv{"/bin/sh", "-c", "echo $${HOME} /home/u $HOME"});  // kept escaped in the model
  CHECK(ForInstance(p, 0, c.supervisor).argv == Argv{"/bin/sh", "-c", "echo ${HOME} /home/u $HOME"});
}

TEST_CASE("Command with shell = true given as an array -> error", "[conf][command]") {
  CHECK(OnlyError("[program.a]\nshell = true\ncommand = [\"echo\", \"a\"]\n").message ==
        "`shell = true` in [program.a] needs `command` as a string, not an array");
}
