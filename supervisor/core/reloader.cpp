#include "core/reloader.h"

#include <unistd.h>

#include <spdlog/spdlog.h>


namespace sup::daemon {
namespace {

// Collects a Waiter's results and answers the reload once, with the plan and them:
// `supctl reload` waits like `restart` (SPEC §6) but its reply stays one document.
class ReloadCollector final : public WaitSink {
 public:
  ReloadCollector(std::shared_ptr<ReloadReceiver> receiver, conf::ReloadPlan plan)
      : receiver_(std::move(receiver)) {
    result_.plan = std::move(plan);
    result_.instances.emplace();
  }
  void OnResult(WaitResult result) override { result_.instances->push_back(std::move(result)); }
  void OnDone() override { receiver_->OnApplied(std::move(result_)); }
  bool open() const override { return receiver_->open(); }
  void OnCancel(std::function<void()> fn) override { receiver_->OnCancel(std::move(fn)); }

 private:
  std::shared_ptr<ReloadReceiver> receiver_;
  ReloadResult result_;
};

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string Changes(const std::vector<conf::ProgramChange>& changes) {
  std::string out;
  for (const auto& c : changes) out += (out.empty() ? "" : ", ") + c.name + " (" + Names(c.keys) + ")";
  return out;
}

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

std::string Reloader::PlanSummary(const conf::ReloadPlan& plan) {
  std::string out;
  auto part = [&out](const char* what, const std::string& names) {
    if (!names.empty()) out += (out.empty() ? "" : "; ") + std::string(what) + " " + names;
  };
  part("added", Names(plan.added));
  part("removed", Names(plan.removed));
  part("restarted", Changes(plan.restarted));
  part("updated", Changes(plan.updated));
  part("not applied", Names(plan.not_applied));
  return out.empty() ? "nothing changed" : out;
}

void Reloader::Request(std::shared_ptr<ReloadReceiver> receiver, bool dry_run) {
  queue_.push_back({std::move(receiver), dry_run});
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
    if (w->pending.receiver)
      w->pending.receiver->OnRefused({ReloadRefusal::Reason::kFailed, uv_strerror(rc), {}});
  }
}

void Reloader::WaitForStarts(conf::ReloadPlan plan, std::shared_ptr<ReloadReceiver> receiver) {
  std::vector<std::string> names = plan.added;
  for (const auto& c : plan.restarted) names.push_back(c.name);
  for (const auto& c : plan.updated) names.push_back(c.name);
  std::vector<Waiter::Item> items;
  if (auto selected = supervisor_.Select(names); selected && !names.empty())
    for (auto* i : *selected)
      if (i->fsm().status().wanted_up) items.push_back({i});
  if (items.empty()) return receiver->OnApplied({std::move(plan), std::nullopt});
  auto collector = std::make_shared<ReloadCollector>(std::move(receiver), std::move(plan));
  supervisor_.AddWaiter(std::make_unique<Waiter>(supervisor_.runner(), std::move(collector),
                                                 WaitTarget::kStartOutcome, std::move(items),
                                                 std::chrono::milliseconds(60'000)));
}

void Reloader::Finish(Work& work) {
  in_flight_ = nullptr;
  auto& receiver = work.pending.receiver;
  if (supervisor_.shutting_down()) {
    if (receiver)
      receiver->OnRefused({ReloadRefusal::Reason::kShuttingDown, "supd is shutting down", {}});
  } else if (!work.result.config) {
    std::vector<std::string> errors;
    for (const auto& e : work.result.errors) {
      errors.push_back(e.ToString());
      spdlog::error("reload: {}", e.ToString());
    }
    const std::string message = std::to_string(work.result.errors.size()) +
                                " error(s) in " + work.path + ": nothing changed";
    spdlog::error("reload refused: {}", message);
    if (receiver)
      receiver->OnRefused(
          {ReloadRefusal::Reason::kConfigErrors, message, std::move(errors)});
  } else {
    conf::Config next = std::move(*work.result.config);
    if (options_.main_command) {
      // The command-line main program is part of every config supd runs.
      for (const auto& p : supervisor_.config().programs)
        if (p.name == "main") next.programs.push_back(p);
    }
    conf::ReloadPlan plan = conf::Diff(supervisor_.config(), next);
    if (work.pending.dry_run) {
      if (receiver) receiver->OnApplied({std::move(plan), std::nullopt});
    } else {
      spdlog::info("reload: {}", PlanSummary(plan));
      if (options_.apply_access) {
        if (auto err = options_.apply_access(next.supervisor); !err.empty())
          spdlog::warn("reload: access lists: {}", err);
      }
      supervisor_.ApplyReload(std::move(next), plan);
      if (receiver) WaitForStarts(std::move(plan), std::move(receiver));
    }
  }
  StartNext();
}

}  // namespace sup::daemon
