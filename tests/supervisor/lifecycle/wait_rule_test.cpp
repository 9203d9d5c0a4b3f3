// supctl's waiting rules decided on an InstanceFsm (lifecycle/wait_rule.h, SPEC §5).
#include "lifecycle/wait_rule.h"

#include <catch2/catch.hpp>

#include "fsm_rig.h"

namespace sup::daemon::testing {
namespace {

WaitOutcome Outcome(const FsmRig& rig, WaitTarget target) {
  return EvaluateWait(rig.fsm, target, rig.now).outcome;
}

TEST_CASE("EvaluateWait: RUNNING and ready -> start, ready and running satisfied",
          "[lifecycle][wait]") {
  FsmRig rig;
  rig.ToRunning();
  CHECK(Outcome(rig, WaitTarget::kStartOutcome) == WaitOutcome::kSatisfied);
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kSatisfied);
  CHECK(Outcome(rig, WaitTarget::kRunning) == WaitOutcome::kSatisfied);
  CHECK(Outcome(rig, WaitTarget::kHealthy) == WaitOutcome::kSatisfied);  // no check configured
  CHECK(Outcome(rig, WaitTarget::kStopped) == WaitOutcome::kPending);
  CHECK(Outcome(rig, WaitTarget::kCompleted) == WaitOutcome::kPending);
}

TEST_CASE("EvaluateWait: STARTING, notify -> pending, 'waiting for READY=1'", "[lifecycle][wait]") {
  auto spec = TestSpec();
  spec.ready = conf::ReadyMode::kNotify;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  const auto verdict = EvaluateWait(rig.fsm, WaitTarget::kStartOutcome, rig.now);
  CHECK(verdict.outcome == WaitOutcome::kPending);
  CHECK(verdict.doing == "STARTING: waiting for READY=1");
}

TEST_CASE("EvaluateWait: waiting for dependencies -> pending, says so", "[lifecycle][wait]") {
  FsmRig rig;
  rig.Start();
  CHECK(DescribeActivity(rig.fsm, rig.now) == "STARTING: waiting for dependencies");
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kPending);
}

TEST_CASE("EvaluateWait: BACKOFF -> pending through retries, 'retry 2 in 400ms'",
          "[lifecycle][wait]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(1));
  rig.RetrySpawn();
  rig.Exit(ExitStatus::Code(1));
  const auto verdict = EvaluateWait(rig.fsm, WaitTarget::kStartOutcome, rig.now);
  CHECK(verdict.outcome == WaitOutcome::kPending);
  CHECK(verdict.doing == "BACKOFF: retry 2 in 200ms");
  rig.Advance(50ms);
  CHECK(DescribeActivity(rig.fsm, rig.now) == "BACKOFF: retry 2 in 150ms");
}

TEST_CASE("EvaluateWait: FATAL -> start and ready impossible, stop pending", "[lifecycle][wait]") {
  auto spec = TestSpec();
  spec.start_retries = 0;
  FsmRig rig(spec);
  rig.StartAndSpawn();
  rig.Exit(ExitStatus::Code(3));
  const auto verdict = EvaluateWait(rig.fsm, WaitTarget::kStartOutcome, rig.now);
  CHECK(verdict.outcome == WaitOutcome::kImpossible);
  CHECK(verdict.doing == "FATAL: failed to start 1 times: exited with code 3");
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kImpossible);
  CHECK(Outcome(rig, WaitTarget::kRunning) == WaitOutcome::kImpossible);
  CHECK(Outcome(rig, WaitTarget::kStopped) == WaitOutcome::kPending);
}

TEST_CASE("EvaluateWait: one-shot EXITED completed -> ready and completed satisfied",
          "[lifecycle][wait][oneshot]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(0));
  CHECK(Outcome(rig, WaitTarget::kStartOutcome) == WaitOutcome::kSatisfied);
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kSatisfied);
  CHECK(Outcome(rig, WaitTarget::kCompleted) == WaitOutcome::kSatisfied);
  CHECK(Outcome(rig, WaitTarget::kHealthy) == WaitOutcome::kSatisfied);
  CHECK(DescribeActivity(rig.fsm, rig.now) == "EXITED: completed (exited with code 0)");
}

TEST_CASE("EvaluateWait: one-shot EXITED failed -> ready and completed impossible at once",
          "[lifecycle][wait][oneshot]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  rig.Exit(ExitStatus::Code(3));
  CHECK(Outcome(rig, WaitTarget::kStartOutcome) == WaitOutcome::kImpossible);
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kImpossible);
  CHECK(Outcome(rig, WaitTarget::kCompleted) == WaitOutcome::kImpossible);
  CHECK(DescribeActivity(rig.fsm, rig.now) == "EXITED: failed (exited with code 3)");
}

TEST_CASE("EvaluateWait: a one-shot still running -> completed pending", "[lifecycle][wait]") {
  auto spec = TestSpec();
  spec.restart = conf::RestartPolicy::kNever;
  FsmRig rig(spec);
  rig.ToRunning();
  CHECK(Outcome(rig, WaitTarget::kCompleted) == WaitOutcome::kPending);
}

TEST_CASE("EvaluateWait: a configured check not passed yet -> healthy pending",
          "[lifecycle][wait][health]") {
  auto spec = TestSpec();
  spec.health.kind = conf::HealthKind::kTcp;
  FsmRig rig(spec);
  rig.ToRunning();
  const auto verdict = EvaluateWait(rig.fsm, WaitTarget::kHealthy, rig.now);
  CHECK(verdict.outcome == WaitOutcome::kPending);
  CHECK(verdict.doing == "RUNNING: health unknown");
  rig.fsm.OnHealthy(rig.now);
  CHECK(Outcome(rig, WaitTarget::kHealthy) == WaitOutcome::kSatisfied);
}

TEST_CASE("EvaluateWait: stop -> pending while STOPPING, satisfied once STOPPED",
          "[lifecycle][wait]") {
  FsmRig rig;
  rig.ToRunning();
  rig.Stop();
  const auto verdict = EvaluateWait(rig.fsm, WaitTarget::kStopOutcome, rig.now);
  CHECK(verdict.outcome == WaitOutcome::kPending);
  CHECK(verdict.doing == "STOPPING: waiting for the exit (SIGKILL in 10s)");
  rig.Fire();
  CHECK(DescribeActivity(rig.fsm, rig.now) == "STOPPING: SIGKILL sent, waiting for the exit");
  rig.Exit(ExitStatus::Signal(SIGKILL));
  CHECK(Outcome(rig, WaitTarget::kStopOutcome) == WaitOutcome::kSatisfied);
  CHECK(rig.status().sigkill_needed);
}

TEST_CASE("EvaluateWait: start, then stopped by someone else -> start impossible",
          "[lifecycle][wait]") {
  FsmRig rig;
  rig.Start();
  rig.Stop();
  CHECK(Outcome(rig, WaitTarget::kStartOutcome) == WaitOutcome::kImpossible);
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kPending);  // wait: someone may start it
}

TEST_CASE("EvaluateWait: STARTING with ready = started -> says how long it must stay up",
          "[lifecycle][wait]") {
  FsmRig rig;
  rig.StartAndSpawn();
  rig.Advance(400ms);
  CHECK(DescribeActivity(rig.fsm, rig.now) == "STARTING: must stay up 1s (up 400ms)");
}

TEST_CASE("EvaluateWait: RUNNING after RELOADING=1 -> ready pending, running satisfied",
          "[lifecycle][wait][notify]") {
  FsmRig rig;
  rig.ToRunning();
  rig.fsm.OnReloading(rig.now);
  CHECK(Outcome(rig, WaitTarget::kReady) == WaitOutcome::kPending);
  CHECK(Outcome(rig, WaitTarget::kRunning) == WaitOutcome::kSatisfied);
  CHECK(DescribeActivity(rig.fsm, rig.now) == "RUNNING: waiting for READY=1");
}

}  // namespace
}  // namespace sup::daemon::testing
