// `supctl top`: asks supd once for its status segment's name (unless --shm names it), then
// reads everything else from shared memory (top.h): interactive on a terminal
// (top_interactive.h), one snapshot with --once or without one. When the socket cannot be used (no
// permission to connect, say), the name is derived from the socket path as supd derives its
// default (SPEC §9.1), and read if a live supd holds it.
#include <unistd.h>

#include <iostream>
#include <sstream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/session.h"
#include "ctl/terminal.h"
#include "ctl/top.h"
#include "ctl/top_interactive.h"
#include "status/proc_stat.h"
#include "status/segment_reader.h"
#include "sup/conf/loader.h"

namespace sup::ctl {
namespace {

// The default segment of the supd serving `socket`, if a live supd holds it.
std::string LiveDefaultSegment(const std::string& socket) {
  const std::string name = conf::DefaultStatusShm(socket);
  auto snap = daemon::ReadNamedSegment(name);
  if (!snap || daemon::ProcessGone(snap->info.supd_pid, snap->info.supd_start_ticks)) return "";
  return name;
}

// One snapshot with --once, into a pipe or a file, or when supctl is not on a terminal; the
// interactive view otherwise.
int Show(Context& ctx, const std::string& name) {
  const bool terminal = &ctx.out == &std::cout && ::isatty(STDOUT_FILENO) == 1;
  if (ctx.inv.once || !terminal || ::isatty(STDIN_FILENO) != 1)
    return PrintTopSnapshot(name, ctx.out, terminal ? TerminalSize(STDOUT_FILENO).columns : 0);
  return RunInteractiveTop(name, ctx.inv.socket, ctx.style.colour);
}

}  // namespace

int RunTop(Context& ctx) {
  std::string name = ctx.inv.shm;
  if (name.empty()) {
    std::ostringstream why;
    auto session = Session::Open(ctx.inv.socket, why);
    if (auto* code = std::get_if<int>(&session)) {
      name = LiveDefaultSegment(ctx.inv.socket);
      if (name.empty()) {
        ctx.err << why.str();
        return *code;
      }
      return Show(ctx, name);
    }
    auto reply = std::get<Session>(session).Call(WireRequest{"shm", nlohmann::json::object()});
    if (auto* code = std::get_if<int>(&reply)) return *code;
    name = std::get<nlohmann::json>(reply).value("name", "");
    if (name.empty()) {
      ctx.err << "supctl: supd runs without a status segment (status_shm = \"\")\n";
      return kExitFailed;
    }
  }
  return Show(ctx, name);
}

}  // namespace sup::ctl
