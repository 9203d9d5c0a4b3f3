#include "core/reloader.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "protocol/errors.h"

namespace sup::daemon {
namespace {

// Collects a Waiter's per-instance outcomes and answers the reload once, with the plan and
// them: `supctl reload` waits like `restart` (SPEC §6) but its reply stays one document.
class CollectingCall final : public control::Call {
 public:
  CollectingCall(std::shared_ptr<control::Call> real, nlohmann::json plan)
      : real_(std::move(real)), plan_(std::move(plan)) {}
  const control::Peer& peer() const override { return real_->peer(); }
  void Succeed(nlohmann::json) override {}
  void Fail(std::string_view code, std::string message, nlohmann::json extra) override {
    real_->Fail(code, std::move(message), std::move(extra));
  }
  void Emit(nlohmann::json item) override { outcomes_.push_back(std::move(item)); }
  void End() override {
    plan_["instances"] = std::move(outcomes_);
    real_->Succeed(std::move(plan_));
  }
  bool open() const override { return real_->open(); }
  void OnCancel(std::function<void()> fn) override { real_->OnCancel(std::move(fn)); }

 private:
  std::shared_ptr<control::Call> real_;
  nlohmann::json plan_;
  nlohmann::json outcomes_ = nlohmann::json::array();
};

}  // namespace

struct Reloader::Work {
  uv_work_t request{};
  Reloader* owner = nullptr;  // null once the Reloader is gone: the result is dropped
  Pending pending;
  std::string path;
  conf::Environment env;
  uid_t uid = 0;
  conf::LoadResult result;
};

Reloader::Reloader(uv_loop_t& loop, Supervisor& supervisor, Options options)
    : loop_(loop), supervisor_(supervisor), options_(std::move(options)) {}

Reloader::~Reloader() {
  if (in_flight_) in_flight_->owner = nullptr;
}

nlohmann::json Reloader::PlanJson(const conf::ReloadPlan& plan) {
  auto changes = [](const std::vector<conf::ProgramChange>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list) out.push_back({{"name", c.name}, {"keys", c.keys}});
    return out;
  };
  return {{"added", plan.added},
          {"removed", plan.removed},
          {"restarted", changes(plan.restarted)},
          {"updated", changes(plan.updated)},
          {"untouched", plan.untouched},
          {"not_applied", plan.not_applied}};
}

void Reloader::Request(std::shared_ptr<control::Call> call, bool dry_run) {
  queue_.push_back({std::move(call), dry_run});
  if (!in_flight_) StartNext();
}

void Reloader::StartNext() {
  if (queue_.empty()) return;
  auto* work = new Work;
  work->owner = this;
  work->pending = std::move(queue_.front());
  queue_.pop_front();
  work->path = options_.path;
  work->env = options_.env;
  work->uid = geteuid();
  work->request.data = work;
  in_flight_ = work;
  int rc = uv_queue_work(
      &loop_, &work->request,
      [](uv_work_t* req) {  // thread pool: pure loading only
        auto* w = static_cast<Work*>(req->data);
        w->result = conf::LoadFile(w->path, w->env, w->uid);
      },
      [](uv_work_t* req, int) {  // loop thread
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        if (w->owner) w->owner->Finish(*w);
      });
  if (rc != 0) {
    in_flight_ = nullptr;
    std::unique_ptr<Work> w(work);
    if (w->pending.call) w->pending.call->Fail(protocol::code::kFailed, uv_strerror(rc));
  }
}

void Reloader::WaitForStarts(const conf::ReloadPlan& plan, std::shared_ptr<control::Call> call,
                             nlohmann::json reply) {
  std::vector<std::string> names = plan.added;
  for (const auto& c : plan.restarted) names.push_back(c.name);
  for (const auto& c : plan.updated) names.push_back(c.name);
  std::vector<Waiter::Item> items;
  if (auto selected = supervisor_.Select(names); selected && !names.empty())
    for (auto* i : *selected)
      if (i->fsm().status().wanted_up) items.push_back({i, i->name(), ""});
  if (items.empty()) return call->Succeed(std::move(reply));
  auto collector = std::make_shared<CollectingCall>(std::move(call), std::move(reply));
  supervisor_.AddWaiter(std::make_unique<Waiter>(loop_, std::move(collector),
                                                 WaitTarget::kStartOutcome, std::move(items),
                                                 std::chrono::milliseconds(60'000), ""));
}

void Reloader::Finish(Work& work) {
  in_flight_ = nullptr;
  auto& call = work.pending.call;
  if (supervisor_.shutting_down()) {
    if (call) call->Fail(protocol::code::kShuttingDown, "supd is shutting down");
  } else if (!work.result.config) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : work.result.errors) {
      errors.push_back(e.ToString());
      spdlog::error("reload: {}", e.ToString());
    }
    const std::string message = std::to_string(work.result.errors.size()) +
                                " error(s) in " + work.path + ": nothing changed";
    spdlog::error("reload refused: {}", message);
    if (call) call->Fail(protocol::code::kConfigError, message, {{"errors", errors}});
  } else {
    conf::Config next = std::move(*work.result.config);
    if (options_.main_command) {
      // The command-line main program is part of every config supd runs.
      for (const auto& p : supervisor_.config().programs)
        if (p.name == "main") next.programs.push_back(p);
    }
    const conf::ReloadPlan plan = conf::Diff(supervisor_.config(), next);
    nlohmann::json reply = PlanJson(plan);
    if (work.pending.dry_run) {
      if (call) call->Succeed(std::move(reply));
    } else {
      spdlog::info("reload: {}", reply.dump());
      if (options_.apply_access) {
        if (auto err = options_.apply_access(next.supervisor); !err.empty())
          spdlog::warn("reload: access lists: {}", err);
      }
      supervisor_.ApplyReload(std::move(next), plan);
      if (call) WaitForStarts(plan, std::move(call), std::move(reply));
    }
  }
  StartNext();
}

}  // namespace sup::daemon
