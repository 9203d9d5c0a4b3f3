// Every supctl command, one function each, grouped by file: cmd_status.cpp (status, pid,
// version), cmd_control.cpp (start, stop, restart, signal, reload, shutdown), cmd_stream.cpp
// (wait, events, logs), cmd_local.cpp (check, notify), cmd_import.cpp, cmd_completion.cpp.
// Each returns its exit code.
#pragma once

#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include "ctl/cli.h"
#include "ctl/render.h"
#include "ctl/requests.h"
#include "sup/conf/config.h"

namespace sup::ctl {

// What a command needs; `inv` and the streams outlive the call.
struct Context {
  const Invocation& inv;
  const conf::Environment& env;
  std::ostream& out;
  std::ostream& err;
  Style style;
};

int RunStatus(Context& ctx);
int RunPid(Context& ctx);
int RunVersion(Context& ctx);
int RunAction(Context& ctx);  // start, stop, restart
int RunSignal(Context& ctx);
int RunReload(Context& ctx);
int RunShutdown(Context& ctx);
int RunWait(Context& ctx);
int RunEvents(Context& ctx);
int RunLogs(Context& ctx);
int RunTop(Context& ctx);
int RunCheck(Context& ctx);
int RunNotify(Context& ctx);
int RunImport(Context& ctx);         // cmd_import.cpp
int RunCompletion(Context& ctx);     // cmd_completion.cpp
int RunCompleteNames(Context& ctx);  // the hidden __complete-names

// BuildRequest for ctx.inv, printing a usage error (then the variant holds 2).
std::variant<WireRequest, int> RequestFor(Context& ctx);

// The whole of supctl after argv: parse, then run the chosen command. `tty`: stdout is a
// terminal (colour and human units).
int Main(const std::vector<std::string>& args, const conf::Environment& env, std::ostream& out,
         std::ostream& err, bool tty);

}  // namespace sup::ctl
