// status, pid, version: the read-only queries.
#include <ostream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/session.h"
#include "protocol/errors.h"

namespace sup::ctl {
namespace {

using nlohmann::json;

// Opens a session and sends a single-reply request: the result, or the exit code.
std::variant<json, int> Query(Context& ctx) {
  auto request = RequestFor(ctx);
  if (auto* code = std::get_if<int>(&request)) return *code;
  auto session = Session::Open(ctx.inv.socket, ctx.err);
  if (auto* code = std::get_if<int>(&session)) return *code;
  return std::get<Session>(session).Call(std::get<WireRequest>(request));
}

}  // namespace

std::variant<WireRequest, int> RequestFor(Context& ctx) {
  auto request = BuildRequest(ctx.inv);
  if (auto* usage = std::get_if<UsageError>(&request)) {
    ctx.err << "supctl: " << usage->message << "\n";
    return kExitUsage;
  }
  return std::get<WireRequest>(std::move(request));
}

int RunStatus(Context& ctx) {
  const auto& sel = ctx.inv.select;
  const bool explicit_selection =
      !sel.empty() && !(sel.size() == 1 && sel.front() == "all");
  if (ctx.inv.json) {
    auto result = Query(ctx);
    if (auto* code = std::get_if<int>(&result)) return *code;
    const json& doc = std::get<json>(result);
    ctx.out << doc.dump(2) << "\n";
    return StatusExitCode(doc, explicit_selection);
  }
  // The table reads the reply line directly (status_rows.h): no JSON document.
  auto request = RequestFor(ctx);
  if (auto* code = std::get_if<int>(&request)) return *code;
  auto session = Session::Open(ctx.inv.socket, ctx.err);
  if (auto* code = std::get_if<int>(&session)) return *code;
  auto line = std::get<Session>(session).CallForLine(std::get<WireRequest>(request));
  if (auto* code = std::get_if<int>(&line)) return *code;
  const auto reply = ParseStatusReply(std::get<std::string>(line));
  if (!reply || !reply->ok || !reply->has_result)
    return std::get<Session>(session).FailedLine(std::get<std::string>(line));
  ctx.out << RenderStatus(reply->rows, explicit_selection, ctx.style);
  return StatusExitCode(reply->rows, explicit_selection);
}

int RunPid(Context& ctx) {
  auto result = Query(ctx);
  if (auto* code = std::get_if<int>(&result)) return *code;
  const json& doc = std::get<json>(result);
  if (ctx.inv.json) {
    ctx.out << doc.dump(2) << "\n";
    return kExitOk;
  }
  if (ctx.inv.select.empty()) {
    ctx.out << doc.value("pid", json()).dump() << "\n";
    return kExitOk;
  }
  // A bare pid for one instance (kill $(supctl pid web)); "NAME PID" lines for several.
  int code = kExitOk;
  const json instances = doc.value("instances", json::array());
  for (const auto& inst : instances) {
    const json pid = inst.value("pid", json());
    const std::string text = pid.is_number() ? pid.dump() : "-";
    if (!pid.is_number()) code = kExitFailed;
    if (instances.size() == 1) {
      ctx.out << text << "\n";
    } else {
      ctx.out << inst.value("name", "") << " " << text << "\n";
    }
  }
  return code;
}

int RunVersion(Context& ctx) {
  const json client{{"version", SUP_VERSION}, {"protocol", protocol::kProtocolVersion}};
  if (!ctx.inv.json) ctx.out << "supctl " << SUP_VERSION << " (protocol " << protocol::kProtocolVersion << ")\n";
  ctx.out.flush();
  auto result = Query(ctx);
  if (auto* code = std::get_if<int>(&result)) {
    if (ctx.inv.json) ctx.out << json{{"client", client}, {"daemon", nullptr}}.dump(2) << "\n";
    return *code;
  }
  const json& daemon = std::get<json>(result);
  if (ctx.inv.json) {
    ctx.out << json{{"client", client}, {"daemon", daemon}}.dump(2) << "\n";
  } else {
    ctx.out << "supd " << daemon.value("version", "?") << " (protocol "
            << daemon.value("protocol", json()).dump() << ")\n";
  }
  return kExitOk;
}

}  // namespace sup::ctl
