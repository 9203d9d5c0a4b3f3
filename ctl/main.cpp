// supctl: argv -> one request to supd -> printed result -> documented exit code (SPEC §5).
// The commands are in the sup_ctl library: cli.cpp parses, run.cpp dispatches, cmd_*.cpp
// act, render*.cpp print, session.cpp talks to supd, notify.cpp speaks sd_notify.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "ctl/subcommands.h"
#include "sup/conf/loader.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto env = sup::conf::CurrentEnvironment();
  return sup::ctl::Main(args, env, std::cout, std::cerr, ::isatty(STDOUT_FILENO) == 1);
}
