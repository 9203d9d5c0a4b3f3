// wait, events, logs: the streaming commands. Output is flushed per line so that pipes
// (supctl events | jq) see each event as it happens.
#include <ostream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/session.h"

namespace sup::ctl {
namespace {

using nlohmann::json;

int StreamRequest(Context& ctx, const std::function<void(const json&)>& on_item) {
  auto request = RequestFor(ctx);
  if (auto* code = std::get_if<int>(&request)) return *code;
  auto session = Session::Open(ctx.inv.socket, ctx.err);
  if (auto* code = std::get_if<int>(&session)) return *code;
  return std::get<Session>(session).Stream(std::get<WireRequest>(request), on_item);
}

}  // namespace

int RunWait(Context& ctx) {
  int worst = kExitOk;
  const int end = StreamRequest(ctx, [&](const json& item) {
    int code = kExitOk;
    const std::string line = RenderOutcome("wait", ctx.inv.wait_for, item, ctx.style, code);
    worst = Worst(worst, code);
    ctx.out << (ctx.inv.json ? item.dump() : line) << "\n";
    ctx.out.flush();
  });
  return Worst(worst, end);
}

int RunEvents(Context& ctx) {
  return StreamRequest(ctx, [&](const json& item) {
    ctx.out << item.dump() << "\n";
    ctx.out.flush();
  });
}

int RunLogs(Context& ctx) {
  return StreamRequest(ctx, [&](const json& item) {
    ctx.out << (ctx.inv.json ? item.dump() : RenderLogLine(item, ctx.style)) << "\n";
    if (ctx.inv.follow) ctx.out.flush();
  });
}

}  // namespace sup::ctl
