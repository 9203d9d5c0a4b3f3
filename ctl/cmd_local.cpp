// check and notify: the commands that never talk to supd's control socket.
#include <unistd.h>

#include <ostream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/notify.h"
#include "sup/conf/loader.h"

namespace sup::ctl {

int RunCheck(Context& ctx) {
  const std::string path = conf::ResolveConfigPath(ctx.inv.file, ctx.env);
  return conf::RunCheck(path, ctx.env, ::geteuid(), ctx.out, ctx.err);
}

int RunNotify(Context& ctx) {
  for (const auto& a : ctx.inv.assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || a.find('\n') != std::string::npos) {
      ctx.err << "supctl: '" << a << "' is not KEY=VALUE\n";
      return kExitUsage;
    }
  }
  const auto it = ctx.env.find("NOTIFY_SOCKET");
  if (it == ctx.env.end() || it->second.empty()) {
    ctx.err << "supctl: NOTIFY_SOCKET is not set (run this from a program supd started)\n";
    return kExitFailed;
  }
  // systemd-notify waits 5 s for a barrier; so does supctl.
  auto sent = SendNotify(it->second, ctx.inv.assignments, !ctx.inv.no_block, std::chrono::seconds(5));
  if (!sent) {
    ctx.err << "supctl: notify " << it->second << ": " << sent.error().Message() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace sup::ctl
