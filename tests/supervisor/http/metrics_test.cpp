// RenderMetrics: families, labels, values and escaping of the Prometheus text format.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "http/metrics.h"

using namespace sup::daemon::http;
using sup::daemon::CounterValue;

namespace {

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

InstanceSample Web(int index) {
  InstanceSample i;
  i.program = "web";
  i.index = index;
  i.state = "RUNNING";
  i.health = "healthy";
  i.ready = true;
  i.wanted_up = true;
  i.uptime_s = 12.5;
  i.restarts = 3;
  i.captured_bytes = 4096;
  i.dropped_lines = 2;
  return i;
}

MetricsSnapshot TwoWebs() {
  MetricsSnapshot s;
  s.supd.version = "0.1.0";
  s.supd.start_time_unix_s = 1700000000.5;
  s.supd.resident_bytes = 4194304;
  s.supd.cpu_seconds = 0.25;
  s.supd.open_fds = 12;
  s.supd.max_fds = 1024;
  s.supd.control_clients = 2;
  s.supd.http_clients = 1;
  s.supd.loop_lag_s = 0.003;
  s.supd.notify_rejected = 7;
  s.instances = {Web(0), Web(1)};
  return s;
}

}  // namespace

TEST_CASE("RenderMetrics: instance state -> one series per state, 1 on the current one", "[http]") {
  MetricsSnapshot s = TwoWebs();
  s.instances[1].state = "BACKOFF";
  const std::string text = RenderMetrics(s);
  CHECK(HasLine(text, "# TYPE sup_instance_state gauge"));
  CHECK(HasLine(text, R"(sup_instance_state{program="web",index="0",state="RUNNING"} 1)"));
  CHECK(HasLine(text, R"(sup_instance_state{program="web",index="0",state="BACKOFF"} 0)"));
  CHECK(HasLine(text, R"(sup_instance_state{program="web",index="1",state="BACKOFF"} 1)"));
  CHECK(HasLine(text, R"(sup_instance_state{program="web",index="1",state="RUNNING"} 0)"));
  CHECK(Count(text, "sup_instance_state{") == 14);
}

TEST_CASE("RenderMetrics: every family -> one HELP and one TYPE line, before its samples",
          "[http]") {
  const std::string text = RenderMetrics(TwoWebs());
  const std::map<std::string, std::string> first_sample = {
      {"sup_instance_state", "\nsup_instance_state{"},
      {"sup_instance_restarts_total", "\nsup_instance_restarts_total{"},
      {"process_open_fds", "\nprocess_open_fds "},
      {"sup_loop_lag_seconds", "\nsup_loop_lag_seconds "}};
  for (const auto& [family, sample] : first_sample) {
    INFO(family);
    CHECK(Count(text, "# HELP " + family + " ") == 1);
    CHECK(Count(text, "# TYPE " + family + " ") == 1);
    CHECK(text.find("# HELP " + family + " ") < text.find("# TYPE " + family + " "));
    CHECK(text.find("# TYPE " + family + " ") < text.find(sample));
  }
}

TEST_CASE("RenderMetrics: per-instance figures -> labelled by program and index", "[http]") {
  const std::string text = RenderMetrics(TwoWebs());
  CHECK(HasLine(text, "# TYPE sup_instance_restarts_total counter"));
  CHECK(HasLine(text, R"(sup_instance_restarts_total{program="web",index="1"} 3)"));
  CHECK(HasLine(text, R"(sup_instance_uptime_seconds{program="web",index="0"} 12.5)"));
  CHECK(HasLine(text, R"(sup_instance_ready{program="web",index="0"} 1)"));
  CHECK(HasLine(text, R"(sup_instance_wanted_up{program="web",index="0"} 1)"));
  CHECK(HasLine(text, R"(sup_instance_health{program="web",index="0",health="healthy"} 1)"));
  CHECK(HasLine(text, R"(sup_instance_health{program="web",index="0",health="unknown"} 0)"));
  CHECK(HasLine(text, R"(sup_instance_captured_bytes_total{program="web",index="0"} 4096)"));
  CHECK(HasLine(text, R"(sup_instance_dropped_lines_total{program="web",index="1"} 2)"));
  CHECK(text.find("instance=") == std::string::npos);  // Prometheus' own target label
}

TEST_CASE("RenderMetrics: no exit yet -> no last-exit samples, an exit -> code, signal and time",
          "[http]") {
  MetricsSnapshot s = TwoWebs();
  s.instances[1].last_exit = ExitSample{-1, 9, 1700000100.25, 3.5};
  const std::string text = RenderMetrics(s);
  CHECK(HasLine(text, "# TYPE sup_instance_last_exit_code gauge"));
  CHECK(HasLine(text, R"(sup_instance_last_exit_code{program="web",index="1"} -1)"));
  CHECK(HasLine(text, R"(sup_instance_last_exit_signal{program="web",index="1"} 9)"));
  CHECK(HasLine(text, R"(sup_instance_last_exit_timestamp_seconds{program="web",index="1"} 1700000100.25)"));
  CHECK(HasLine(text, R"(sup_instance_last_run_seconds{program="web",index="1"} 3.5)"));
  CHECK(text.find(R"(sup_instance_last_exit_code{program="web",index="0"})") == std::string::npos);
}

TEST_CASE("RenderMetrics: agent counters and gauges -> one family each under its own name", "[http]") {
  MetricsSnapshot s = TwoWebs();
  s.instances[0].counters = {
      CounterValue{"requests_total", SUP_COUNTER_KIND_COUNTER, 18446744073709551615ull},
      CounterValue{"jobs", SUP_COUNTER_KIND_COUNTER, 7},
      CounterValue{"queue_depth", SUP_COUNTER_KIND_GAUGE, static_cast<std::uint64_t>(std::int64_t{-5})}};
  s.instances[1].counters = {CounterValue{"requests_total", SUP_COUNTER_KIND_COUNTER, 3}};
  const std::string text = RenderMetrics(s);
  CHECK(HasLine(text, "# TYPE requests_total counter"));
  CHECK(HasLine(text, R"(requests_total{program="web",instance="0"} 18446744073709551615)"));
  CHECK(HasLine(text, R"(requests_total{program="web",instance="1"} 3)"));
  CHECK(Count(text, "# TYPE requests_total") == 1);  // one family over both instances
  CHECK(HasLine(text, "# TYPE jobs_total counter"));  // a counter's name gets _total
  CHECK(HasLine(text, R"(jobs_total{program="web",instance="0"} 7)"));
  CHECK(HasLine(text, "# TYPE queue_depth gauge"));
  CHECK(HasLine(text, R"(queue_depth{program="web",instance="0"} -5)"));
  CHECK(text.find("sup_agent") == std::string::npos);
}

TEST_CASE("RenderMetrics: an agent name used with both kinds, or one of supd's, keeps one meaning", "[http]") {
  MetricsSnapshot s = TwoWebs();
  s.instances[0].counters = {CounterValue{"depth_total", SUP_COUNTER_KIND_COUNTER, 1},
                             CounterValue{"sup_info", SUP_COUNTER_KIND_GAUGE, 9}};
  s.instances[1].counters = {CounterValue{"depth_total", SUP_COUNTER_KIND_GAUGE, 2}};
  const std::string text = RenderMetrics(s);
  CHECK(Count(text, "# TYPE depth_total") == 1);
  CHECK(HasLine(text, R"(depth_total{program="web",instance="0"} 1)"));
  CHECK(text.find(R"(depth_total{program="web",instance="1"})") == std::string::npos);
  CHECK(Count(text, "# TYPE sup_info") == 1);
  CHECK(text.find("sup_info{program") == std::string::npos);
}

TEST_CASE("RenderMetrics: supd's own figures -> process_* names and sup_* gauges", "[http]") {
  const std::string text = RenderMetrics(TwoWebs());
  CHECK(HasLine(text, R"(sup_info{version="0.1.0"} 1)"));
  CHECK(HasLine(text, "process_start_time_seconds 1700000000.5"));
  CHECK(HasLine(text, "process_resident_memory_bytes 4194304"));
  CHECK(HasLine(text, "# TYPE process_cpu_seconds_total counter"));
  CHECK(HasLine(text, "process_cpu_seconds_total 0.25"));
  CHECK(HasLine(text, "process_open_fds 12"));
  CHECK(HasLine(text, "process_max_fds 1024"));
  CHECK(HasLine(text, "sup_control_clients 2"));
  CHECK(HasLine(text, "sup_http_clients 1"));
  CHECK(HasLine(text, "sup_loop_lag_seconds 0.003"));
  CHECK(HasLine(text, "sup_notify_rejected_total 7"));
  CHECK(HasLine(text, "sup_forward_errors_total 0"));
}

TEST_CASE("RenderMetrics: a figure that could not be read (-1) -> left out", "[http]") {
  MetricsSnapshot s = TwoWebs();
  s.supd.virtual_bytes = -1;
  s.supd.open_fds = -1;
  const std::string text = RenderMetrics(s);
  CHECK(text.find("process_virtual_memory_bytes") == std::string::npos);
  CHECK(text.find("process_open_fds") == std::string::npos);
  CHECK(text.find("process_max_fds 1024") != std::string::npos);
}

TEST_CASE("RenderMetrics: no instances -> every family still declared, no samples", "[http]") {
  MetricsSnapshot s;
  s.supd.version = "0.1.0";
  const std::string text = RenderMetrics(s);
  CHECK(HasLine(text, "# TYPE sup_instance_state gauge"));
  CHECK(text.find("sup_instance_state{") == std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("EscapeLabel: backslash, quote and newline -> escaped, the rest as is", "[http]") {
  CHECK(EscapeLabel(R"(a\b"c)" "\n" "d.e-f:0") == R"(a\\b\"c\nd.e-f:0)");
}

TEST_CASE("RenderMetrics: a label value with a quote -> escaped in the sample", "[http]") {
  MetricsSnapshot s = TwoWebs();
  s.supd.version = "1.0\"x";
  CHECK(HasLine(RenderMetrics(s), R"(sup_info{version="1.0\"x"} 1)"));
}
