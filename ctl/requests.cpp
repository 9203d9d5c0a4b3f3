#include "ctl/requests.h"

#include "sup/conf/units.h"

namespace sup::ctl {
namespace {

using nlohmann::json;

json SelectArray(const Invocation& inv) { return json(inv.select); }

// --timeout as milliseconds; the default is 60s, 0 means no limit.
std::variant<long long, UsageError> TimeoutMs(const Invocation& inv) {
  if (inv.timeout.empty()) return 60'000LL;
  auto d = conf::ParseDuration(inv.timeout);
  if (!d) return UsageError{"invalid duration '" + inv.timeout + "' for --timeout (try 30s, 5m, 0)"};
  return static_cast<long long>(d->count());
}

}  // namespace

std::variant<WireRequest, UsageError> BuildRequest(const Invocation& inv) {
  const std::string& verb = inv.verb;
  if (verb == "status" || verb == "pid" || verb == "events") {
    return WireRequest{verb, json{{"select", SelectArray(inv)}}, verb == "events"};
  }
  if (verb == "version" || verb == "shutdown") return WireRequest{verb, json::object(), false};

  auto timeout = TimeoutMs(inv);
  if (auto* error = std::get_if<UsageError>(&timeout)) return *error;
  const long long timeout_ms = std::get<long long>(timeout);

  if (verb == "start" || verb == "stop" || verb == "restart") {
    json args{{"select", SelectArray(inv)}, {"wait", !inv.no_wait}, {"timeout_ms", timeout_ms}};
    if (verb == "restart") args["with_dependants"] = inv.with_dependants;
    return WireRequest{verb, std::move(args), !inv.no_wait};
  }
  if (verb == "signal") {
    return WireRequest{
        verb, json{{"signal", inv.signal}, {"select", SelectArray(inv)}, {"group", inv.group}}, false};
  }
  if (verb == "wait") {
    return WireRequest{
        verb, json{{"select", SelectArray(inv)}, {"for", inv.wait_for}, {"timeout_ms", timeout_ms}}, true};
  }
  if (verb == "logs") {
    const char* stream = inv.only_stdout ? "stdout" : inv.only_stderr ? "stderr" : "both";
    return WireRequest{verb,
                       json{{"select", SelectArray(inv)},
                            {"lines", inv.lines},
                            {"follow", inv.follow},
                            {"stream", stream}},
                       true};
  }
  if (verb == "reload") {
    return WireRequest{verb, json{{"dry_run", inv.dry_run}, {"wait", true}, {"timeout_ms", timeout_ms}},
                       false};
  }
  return UsageError{"'" + verb + "' does not talk to supd"};
}

}  // namespace sup::ctl
