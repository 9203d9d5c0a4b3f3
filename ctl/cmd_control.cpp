// start, stop, restart, signal, reload, shutdown: the verbs that change something.
#include <ostream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/session.h"

namespace sup::ctl {
namespace {

using nlohmann::json;

// Sends the request of ctx.inv on a fresh session. `run` gets the session and the request.
template <class Fn>
int WithSession(Context& ctx, Fn&& run) {
  auto request = RequestFor(ctx);
  if (auto* code = std::get_if<int>(&request)) return *code;
  auto session = Session::Open(ctx.inv.socket, ctx.err);
  if (auto* code = std::get_if<int>(&session)) return *code;
  return run(std::get<Session>(session), std::get<WireRequest>(request));
}

}  // namespace

int RunAction(Context& ctx) {
  const std::string& verb = ctx.inv.verb;
  return WithSession(ctx, [&](Session& session, const WireRequest& request) {
    if (!request.stream) {  // --no-wait: one reply naming each instance's state now
      auto result = session.Call(request);
      if (auto* code = std::get_if<int>(&result)) return *code;
      const json& doc = std::get<json>(result);
      if (ctx.inv.json) {
        ctx.out << doc.dump(2) << "\n";
      } else {
        for (const auto& inst : doc.value("instances", json::array())) {
          ctx.out << inst.value("name", "") << ": " << verb << " requested (now "
                  << inst.value("state", "?") << ")\n";
        }
      }
      return kExitOk;
    }
    int worst = kExitOk;
    const int end = session.Stream(request, [&](const json& item) {
      int code = kExitOk;
      const std::string line = RenderOutcome(verb, "", item, ctx.style, code);
      worst = Worst(worst, code);
      if (item.contains("warning") && item["warning"].is_string()) {
        ctx.err << "supctl: warning: " << item["warning"].get<std::string>() << "\n";
      }
      if (ctx.inv.json) {
        ctx.out << item.dump() << "\n";
      } else {
        ctx.out << line << "\n";
      }
      ctx.out.flush();
    });
    return Worst(worst, end);
  });
}

int RunSignal(Context& ctx) {
  return WithSession(ctx, [&](Session& session, const WireRequest& request) {
    auto result = session.Call(request);
    if (auto* code = std::get_if<int>(&result)) return *code;
    const json& doc = std::get<json>(result);
    int worst = kExitOk;
    for (const auto& inst : doc.value("instances", json::array())) {
      const bool sent = inst.value("sent", false);
      if (!sent) worst = kExitFailed;
      if (ctx.inv.json) continue;
      // supd's message is the whole story ("sent SIGHUP", "not running (STOPPED)").
      std::string message = inst.value("message", "");
      if (sent && message.empty()) message = "sent " + ctx.inv.signal;
      ctx.out << inst.value("name", "") << ": "
              << (sent ? Paint(message, "32", ctx.style)
                       : Paint("not sent", "31", ctx.style) + (message.empty() ? "" : ": " + message));
      if (sent && inst.contains("pid") && inst["pid"].is_number()) ctx.out << " (pid " << inst["pid"].dump() << ")";
      ctx.out << "\n";
    }
    if (ctx.inv.json) ctx.out << doc.dump(2) << "\n";
    return worst;
  });
}

int RunReload(Context& ctx) {
  return WithSession(ctx, [&](Session& session, const WireRequest& request) {
    auto result = session.Call(request);
    if (auto* code = std::get_if<int>(&result)) return *code;
    const json& plan = std::get<json>(result);
    ctx.out << (ctx.inv.json ? plan.dump(2) + "\n" : RenderPlan(plan, ctx.inv.dry_run));
    return kExitOk;
  });
}

int RunShutdown(Context& ctx) {
  return WithSession(ctx, [&](Session& session, const WireRequest& request) {
    auto result = session.Call(request);
    if (auto* code = std::get_if<int>(&result)) return *code;
    ctx.out << (ctx.inv.json ? std::get<json>(result).dump(2) : std::string("supd is shutting down")) << "\n";
    return kExitOk;
  });
}

}  // namespace sup::ctl
