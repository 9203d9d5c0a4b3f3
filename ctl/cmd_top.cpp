// `supctl top`: asks supd once for its status segment's name (unless --shm names it), then
// reads everything else from shared memory (top.h).
#include "ctl/commands.h"
#include "ctl/exit_codes.h"
#include "ctl/session.h"
#include "ctl/top.h"

namespace sup::ctl {

int RunTop(Context& ctx) {
  std::string name = ctx.inv.shm;
  if (name.empty()) {
    auto session = Session::Open(ctx.inv.socket, ctx.err);
    if (auto* code = std::get_if<int>(&session)) return *code;
    auto reply = std::get<Session>(session).Call(WireRequest{"shm", nlohmann::json::object()});
    if (auto* code = std::get_if<int>(&reply)) return *code;
    name = std::get<nlohmann::json>(reply).value("name", "");
    if (name.empty()) {
      ctx.err << "supctl: supd runs without a status segment (status_shm = \"\")\n";
      return kExitFailed;
    }
  }
  return RunTop(name, ctx.inv.once, ctx.out);
}

}  // namespace sup::ctl
