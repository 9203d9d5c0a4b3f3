#include "core/request_handler.h"

#include <unistd.h>

#include <set>
#include <stdexcept>

#include "control/status_json.h"
#include "control/verbs.h"
#include "control/wait_reply.h"
#include "core/instance_usage_reads.h"
#include "protocol/errors.h"
#include "protocol/json_writer.h"
#include "sup/conf/units.h"

namespace sup::daemon {
namespace {

namespace code = protocol::code;

constexpr std::size_t kMaxSelectors = 1024;

// A request whose args do not have the documented shape; answered with bad_request.
struct BadArgs : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::string> Selectors(const nlohmann::json& args) {
  std::vector<std::string> out;
  if (!args.contains("select") || args["select"].is_null()) return out;
  const auto& sel = args["select"];
  if (sel.is_string()) return {sel.get<std::string>()};
  if (!sel.is_array()) throw BadArgs("args.select must be an array of strings");
  // Any peer may send a selector list (status, events, wait): bounded, so that no request
  // holds the loop for long (SPEC §9.1 Connections).
  if (sel.size() > kMaxSelectors)
    throw BadArgs("args.select holds " + std::to_string(sel.size()) + " entries; at most " +
                  std::to_string(kMaxSelectors) + " are allowed");
  for (const auto& s : sel) {
    if (!s.is_string()) throw BadArgs("args.select must be an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

bool Flag(const nlohmann::json& args, const char* key, bool fallback) {
  if (!args.contains(key) || args[key].is_null()) return fallback;
  if (!args[key].is_boolean()) throw BadArgs(std::string("args.") + key + " must be a boolean");
  return args[key].get<bool>();
}

std::chrono::milliseconds TimeoutArg(const nlohmann::json& args) {
  if (!args.contains("timeout_ms") || args["timeout_ms"].is_null())
    return std::chrono::milliseconds(60'000);
  const auto& t = args["timeout_ms"];
  if (!t.is_number() || t.get<double>() < 0)
    throw BadArgs("args.timeout_ms must be a non-negative number");
  return std::chrono::milliseconds(static_cast<long long>(t.get<double>()));
}

std::string StringArg(const nlohmann::json& args, const char* key) {
  if (!args.contains(key) || !args[key].is_string())
    throw BadArgs(std::string("args.") + key + " must be a string");
  return args[key].get<std::string>();
}

std::optional<WaitTarget> ParseWaitTarget(const std::string& s) {
  if (s == "running") return WaitTarget::kRunning;
  if (s == "ready") return WaitTarget::kReady;
  if (s == "healthy") return WaitTarget::kHealthy;
  if (s == "stopped") return WaitTarget::kStopped;
  if (s == "completed") return WaitTarget::kCompleted;
  return std::nullopt;
}

}  // namespace

Commands::Commands(Supervisor& supervisor, control::EventBus& events, control::LogStreams& logs,
                   DaemonHooks hooks)
    : supervisor_(supervisor), events_(events), logs_(logs), hooks_(std::move(hooks)) {}

void Commands::Handle(const std::string& cmd, const nlohmann::json& args,
                      std::shared_ptr<control::Call> call) {
  using control::Verb;
  try {
    if (const auto verb = control::ParseVerb(cmd)) {
      switch (*verb) {
        case Verb::kStatus: return Status(args, call);
        case Verb::kPid: return Pid(args, *call);
        case Verb::kStart:
        case Verb::kStop:
        case Verb::kRestart: return Lifecycle(cmd, args, call);
        case Verb::kSignal: return Signal(args, *call);
        case Verb::kWait: return Wait(args, call);
        case Verb::kEvents: return Events(args, call);
        case Verb::kShm: return call->Succeed({{"name", hooks_.shm_name}});
        case Verb::kShutdown:
          call->Succeed(nlohmann::json::object());
          if (hooks_.shutdown) hooks_.shutdown();
          return;
        case Verb::kReload:
          if (hooks_.reload) return hooks_.reload(call, args);
          break;
        case Verb::kLogs: {
          auto selected = supervisor_.Select(Selectors(args));
          if (!selected) return call->Fail(code::kNotFound, selected.error().context);
          return logs_.Serve(call, args, *selected);
        }
        case Verb::kVersion:
        case Verb::kCancel: break;  // answered by the server itself (control/connection.cpp)
      }
    }
    call->Fail(code::kUnknownCommand, "unknown command '" + cmd + "'");
  } catch (const std::invalid_argument& e) {
    call->Fail(code::kBadRequest, e.what());
  } catch (const BadArgs& e) {
    call->Fail(code::kBadRequest, e.what());
  } catch (const nlohmann::json::exception& e) {
    call->Fail(code::kBadRequest, std::string("malformed args: ") + e.what());
  }
}

void Commands::Status(const nlohmann::json& args, std::shared_ptr<control::Call> call) {
  const auto selectors = Selectors(args);
  auto selected = supervisor_.Select(selectors);
  if (!selected) return call->Fail(code::kNotFound, selected.error().context);
  // SPEC §9.2: what the processes use, read now for this reply ("resources": false skips it),
  // off the loop (SPEC §9.1): the reply is written once every probe is read.
  const auto off = args.is_object() ? args.find("resources") : args.end();
  const bool with_usage = !(off != args.end() && off->is_boolean() && !off->get<bool>());
  if (!with_usage) return call->SucceedText(StatusText(*selected, {}));
  call->HoldNext();
  ReadInstancesUsage(supervisor_.runner(), *selected,
                     [this, alive = std::weak_ptr<int>(alive_), call, selectors](const UsageReadings& usage) {
                       if (alive.expired() || !call->open()) return;
                       // Instances may have come, gone or restarted meanwhile: the reply is of
                       // those there now, each with its reading if still of the same process.
                       auto now_selected = supervisor_.Select(selectors);
                       if (!now_selected) return call->Fail(code::kNotFound, now_selected.error().context);
                       call->SucceedText(StatusText(*now_selected, usage));
                     });
}

std::string Commands::StatusText(const std::vector<Instance*>& selected, const UsageReadings& usage) {
  const TimePoint now = Clock::now();
  // Written as text (JsonWriter), not as a document: with 10 000 instances building,
  // dumping and freeing one was most of the reply's time (BENCHMARKS.md scale10k).
  std::string text;
  protocol::JsonWriter w(text);
  w.BeginObject().Key("groups").BeginObject();  // group -> its programs (for completion)
  for (const auto& g : supervisor_.config().groups) {
    w.Key(g.name).BeginArray();
    for (const auto& p : g.programs) w.String(p);
    w.EndArray();
  }
  w.EndObject().Key("instances").BeginArray();
  for (auto* i : selected) {
    const auto figures = UsageOf(*i, usage);
    control::WriteInstanceStatus(w, *i, now, figures ? &*figures : nullptr);
  }
  w.EndArray().Key("supd").Value(hooks_.supd_status ? hooks_.supd_status()
                                                       : nlohmann::json::object());
  w.EndObject();
  return text;
}

void Commands::Pid(const nlohmann::json& args, control::Call& call) {
  auto selected = supervisor_.Select(Selectors(args));
  if (!selected) return call.Fail(code::kNotFound, selected.error().context);
  nlohmann::json instances = nlohmann::json::array();
  for (auto* i : *selected)
    instances.push_back({{"name", i->name()},
                         {"pid", i->pid() > 0 ? nlohmann::json(i->pid()) : nlohmann::json(nullptr)}});
  call.Succeed({{"pid", getpid()}, {"instances", std::move(instances)}});
}

void Commands::Lifecycle(const std::string& cmd, const nlohmann::json& args,
                         std::shared_ptr<control::Call> call) {
  const auto selectors = Selectors(args);
  if (selectors.empty()) return call->Fail(code::kBadRequest, cmd + " needs a selector");
  const bool wait = Flag(args, "wait", true);
  const auto timeout = TimeoutArg(args);
  const bool with_dependants = Flag(args, "with_dependants", false);
  if (cmd != "stop" && supervisor_.shutting_down())
    return call->Fail(code::kShuttingDown, "supd is shutting down");
  auto selected = supervisor_.Select(selectors);
  if (!selected) return call->Fail(code::kNotFound, selected.error().context);

  std::vector<Waiter::Item> items;
  for (auto* i : *selected) {
    Waiter::Note note = Waiter::Note::kNone;
    if (cmd == "start" && i->state() == State::kRunning) note = Waiter::Note::kAlreadyRunning;
    if (cmd == "stop" && i->state() == State::kStopped) note = Waiter::Note::kAlreadyStopped;
    items.push_back({i, note});
  }
  std::string warning;
  if (cmd == "stop") {
    if (auto running = supervisor_.RunningDependants(*selected); !running.empty())
      warning = "still running dependants: " + running;
    supervisor_.Stop(*selected);
  } else if (cmd == "start") {
    supervisor_.Start(*selected);
  } else {
    supervisor_.Restart(*selected, with_dependants);
  }
  if (!wait) {
    nlohmann::json instances = nlohmann::json::array();
    for (auto* i : *selected)
      instances.push_back({{"name", i->name()}, {"state", StateName(i->state())}});
    nlohmann::json result = {{"instances", std::move(instances)}};
    if (!warning.empty()) result["warning"] = warning;
    return call->Succeed(std::move(result));
  }
  const WaitTarget target = cmd == "stop" ? WaitTarget::kStopOutcome : WaitTarget::kStartOutcome;
  supervisor_.AddWaiter(std::make_unique<Waiter>(supervisor_.runner(),
                                                 control::WaitReply(std::move(call), warning),
                                                 target, std::move(items), timeout));
}

void Commands::Signal(const nlohmann::json& args, control::Call& call) {
  const std::string name = StringArg(args, "signal");
  const bool to_group = Flag(args, "group", false);
  std::optional<int> signal;
  if (name != "reload") {
    signal = conf::ParseSignal(name);
    if (!signal) return call.Fail(code::kBadRequest, "unknown signal '" + name + "'");
  }
  const auto selectors = Selectors(args);
  if (selectors.empty()) return call.Fail(code::kBadRequest, "signal needs a selector");
  auto selected = supervisor_.Select(selectors);
  if (!selected) return call.Fail(code::kNotFound, selected.error().context);
  nlohmann::json instances = nlohmann::json::array();
  for (auto* i : *selected) {
    const int sig = signal ? *signal : i->spec().reload_signal;
    const pid_t pid = i->pid();
    const bool sent = i->SendSignal(sig, to_group);
    instances.push_back({{"name", i->name()},
                         {"pid", pid > 0 ? nlohmann::json(pid) : nlohmann::json(nullptr)},
                         {"sent", sent},
                         {"message", sent ? "sent SIG" + conf::SignalName(sig)
                                          : std::string("not running (") + StateName(i->state()) +
                                                ")"}});
  }
  call.Succeed({{"instances", std::move(instances)}});
}

void Commands::Wait(const nlohmann::json& args, std::shared_ptr<control::Call> call) {
  const std::string for_what = StringArg(args, "for");
  auto target = ParseWaitTarget(for_what);
  if (!target)
    return call->Fail(code::kBadRequest, "args.for must be running, ready, healthy, stopped "
                                         "or completed, not '" + for_what + "'");
  auto selected = supervisor_.Select(Selectors(args));
  if (!selected) return call->Fail(code::kNotFound, selected.error().context);
  std::vector<Waiter::Item> items;
  for (auto* i : *selected) items.push_back({i});
  supervisor_.AddWaiter(std::make_unique<Waiter>(supervisor_.runner(),
                                                 control::WaitReply(std::move(call)), *target,
                                                 std::move(items), TimeoutArg(args)));
}

void Commands::Events(const nlohmann::json& args, std::shared_ptr<control::Call> call) {
  const auto selectors = Selectors(args);
  std::set<std::string> names;
  if (!selectors.empty()) {
    auto selected = supervisor_.Select(selectors);
    if (!selected) return call->Fail(code::kNotFound, selected.error().context);
    for (auto* i : *selected) names.insert(i->name());
  }
  events_.Subscribe(std::move(call), std::move(names));
}

}  // namespace sup::daemon
