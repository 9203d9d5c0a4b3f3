#include "http/metrics.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>
#include <utility>

#include "status/state_names.h"

namespace sup::daemon::http {
namespace {

using Label = std::pair<const char*, std::string>;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void Family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // constant texts here: nothing to escape
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void Sample(const char* name, std::initializer_list<Label> labels, double value) {
    Head(name, labels);
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out_.append(buf, ec == std::errc() ? end : buf);
    out_ += '\n';
  }
  void Sample(const char* name, std::initializer_list<Label> labels, std::uint64_t value) {
    Integer(name, labels, std::to_string(value));
  }
  void Sample(const char* name, std::initializer_list<Label> labels, std::int64_t value) {
    Integer(name, labels, std::to_string(value));
  }
  void Sample(const char* name, std::initializer_list<Label> labels, int value) {
    Integer(name, labels, std::to_string(value));
  }

 private:
  void Integer(const char* name, std::initializer_list<Label> labels, const std::string& text) {
    Head(name, labels);
    out_ += text;
    out_ += '\n';
  }
  void Head(const char* name, std::initializer_list<Label> labels) {
    out_ += name;
    if (labels.size() == 0) {
      out_ += ' ';
      return;
    }
    char sep = '{';
    for (const auto& [key, value] : labels) {
      out_ += sep;
      out_ += key;
      out_ += "=\"";
      out_ += EscapeLabel(value);
      out_ += '"';
      sep = ',';
    }
    out_ += "} ";
  }

  std::string& out_;
};

void RenderSupd(Writer& w, const SupdSample& s) {
  w.Family("sup_info", "gauge", "supd's version (always 1).");
  w.Sample("sup_info", {{"version", s.version}}, 1);
  w.Family("process_start_time_seconds", "gauge", "Start time of supd since the Unix epoch in seconds.");
  w.Sample("process_start_time_seconds", {}, s.start_time_unix_s);
  if (s.resident_bytes >= 0) {
    w.Family("process_resident_memory_bytes", "gauge", "supd's resident memory size in bytes.");
    w.Sample("process_resident_memory_bytes", {}, s.resident_bytes);
  }
  if (s.virtual_bytes >= 0) {
    w.Family("process_virtual_memory_bytes", "gauge", "supd's virtual memory size in bytes.");
    w.Sample("process_virtual_memory_bytes", {}, s.virtual_bytes);
  }
  if (s.cpu_seconds >= 0) {
    w.Family("process_cpu_seconds_total", "counter", "supd's user and system CPU time in seconds.");
    w.Sample("process_cpu_seconds_total", {}, s.cpu_seconds);
  }
  if (s.open_fds >= 0) {
    w.Family("process_open_fds", "gauge", "Number of open file descriptors of supd.");
    w.Sample("process_open_fds", {}, s.open_fds);
  }
  if (s.max_fds >= 0) {
    w.Family("process_max_fds", "gauge", "supd's limit on open file descriptors.");
    w.Sample("process_max_fds", {}, s.max_fds);
  }
  w.Family("sup_control_clients", "gauge", "Clients connected to the control socket.");
  w.Sample("sup_control_clients", {}, static_cast<std::uint64_t>(s.control_clients));
  w.Family("sup_http_clients", "gauge", "Open connections to this HTTP endpoint, this one included.");
  w.Sample("sup_http_clients", {}, static_cast<std::uint64_t>(s.http_clients));
  w.Family("sup_loop_lag_seconds", "gauge",
           "Longest time supd's event loop was busy in one iteration since the previous scrape.");
  w.Sample("sup_loop_lag_seconds", {}, s.loop_lag_s);
  w.Family("sup_notify_rejected_total", "counter", "sd_notify messages rejected (unknown sender).");
  w.Sample("sup_notify_rejected_total", {}, s.notify_rejected);
  w.Family("sup_forward_errors_total", "counter", "Failed writes of forwarded output to supd's stdout or stderr.");
  w.Sample("sup_forward_errors_total", {}, s.forward_errors);
}

// One family over every instance; `each` writes that instance's samples.
void ForEach(Writer& w, const std::vector<InstanceSample>& instances, const char* name,
             const char* type, const char* help,
             const std::function<void(const InstanceSample&, const std::string&)>& each) {
  w.Family(name, type, help);
  for (const auto& i : instances) each(i, std::to_string(i.index));
}

// A worker's counters and gauges (libsupagent), each under its own name: `<name>_total` for a
// counter (its name as it is when it already ends so), `<name>` for a gauge, with program and
// instance labels. One family per name over every instance; a name that another program uses
// with the other kind, or that names one of supd's own families, keeps its first meaning and the
// clashing samples are left out (two TYPE lines for one name would break the whole scrape).
void RenderAgentCounters(Writer& w, const std::vector<InstanceSample>& instances) {
  struct Family {
    bool counter = false;
    std::vector<std::pair<const InstanceSample*, const CounterValue*>> samples;
  };
  std::vector<std::string> order;
  std::map<std::string, Family> families;
  for (const auto& i : instances) {
    for (const auto& c : i.counters) {
      const bool counter = c.kind == SUP_COUNTER_KIND_COUNTER;
      std::string name = c.name;
      if (counter && !name.ends_with("_total")) name += "_total";
      if (name.starts_with("sup_") || name.starts_with("process_")) continue;
      auto [it, fresh] = families.try_emplace(name);
      if (fresh) {
        it->second.counter = counter;
        order.push_back(name);
      }
      if (it->second.counter == counter) it->second.samples.emplace_back(&i, &c);
    }
  }
  for (const auto& name : order) {
    const Family& f = families[name];
    w.Family(name.c_str(), f.counter ? "counter" : "gauge",
             f.counter ? "Counter published by the program through libsupagent (sup_counter_add)."
                       : "Gauge published by the program through libsupagent (sup_gauge_set).");
    for (const auto& [i, c] : f.samples) {
      const std::initializer_list<Label> labels = {{"program", i->program}, {"instance", std::to_string(i->index)}};
      if (f.counter) w.Sample(name.c_str(), labels, c->value);
      else w.Sample(name.c_str(), labels, c->gauge());
    }
  }
}

void RenderInstances(Writer& w, const std::vector<InstanceSample>& instances) {
  ForEach(w, instances, "sup_instance_state", "gauge",
          "1 for the instance's current state, 0 for the others.",
          [&](const InstanceSample& i, const std::string& index) {
            for (const char* state : kStateNames)
              w.Sample("sup_instance_state", {{"program", i.program}, {"index", index}, {"state", state}},
                       i.state == state ? 1 : 0);
          });
  ForEach(w, instances, "sup_instance_health", "gauge",
          "1 for the instance's current health, 0 for the others.",
          [&](const InstanceSample& i, const std::string& index) {
            for (const char* health : kHealthNames)
              w.Sample("sup_instance_health", {{"program", i.program}, {"index", index}, {"health", health}},
                       i.health == health ? 1 : 0);
          });
  const auto flag = [&](const char* name, const char* help, bool InstanceSample::*field) {
    ForEach(w, instances, name, "gauge", help, [&](const InstanceSample& i, const std::string& index) {
      w.Sample(name, {{"program", i.program}, {"index", index}}, i.*field ? 1 : 0);
    });
  };
  flag("sup_instance_ready", "1 when the instance's ready condition holds.", &InstanceSample::ready);
  flag("sup_instance_wanted_up", "1 when the instance is wanted up (autostart, start, restart).",
       &InstanceSample::wanted_up);
  ForEach(w, instances, "sup_instance_uptime_seconds", "gauge",
          "Seconds since the current process was spawned, 0 without one.",
          [&](const InstanceSample& i, const std::string& index) {
            w.Sample("sup_instance_uptime_seconds", {{"program", i.program}, {"index", index}}, i.uptime_s);
          });
  const auto count = [&](const char* name, const char* help, std::uint64_t InstanceSample::*field) {
    ForEach(w, instances, name, "counter", help, [&](const InstanceSample& i, const std::string& index) {
      w.Sample(name, {{"program", i.program}, {"index", index}}, i.*field);
    });
  };
  count("sup_instance_restarts_total", "Restarts of the instance.", &InstanceSample::restarts);
  count("sup_instance_captured_bytes_total", "Bytes of output captured from the instance.",
        &InstanceSample::captured_bytes);
  count("sup_instance_dropped_lines_total", "Output lines dropped (backpressure = \"drop\").",
        &InstanceSample::dropped_lines);

  const auto last_exit = [&](const char* name, const char* help, auto value) {
    ForEach(w, instances, name, "gauge", help, [&](const InstanceSample& i, const std::string& index) {
      if (i.last_exit) w.Sample(name, {{"program", i.program}, {"index", index}}, value(*i.last_exit));
    });
  };
  last_exit("sup_instance_last_exit_code", "Exit code of the last exit, -1 if it died of a signal.",
            [](const ExitSample& e) { return e.code; });
  last_exit("sup_instance_last_exit_signal", "Signal number of the last exit, 0 if it exited.",
            [](const ExitSample& e) { return e.signal; });
  last_exit("sup_instance_last_exit_timestamp_seconds", "Time of the last exit since the Unix epoch.",
            [](const ExitSample& e) { return e.at_unix_s; });
  last_exit("sup_instance_last_run_seconds", "How long the run that ended with the last exit lasted.",
            [](const ExitSample& e) { return e.run_s; });

  // SPEC §9.2, with `program` and `instance` labels as a worker's own counters have them.
  const auto usage = [&](const char* name, const char* type, const char* help, auto value) {
    ForEach(w, instances, name, type, help, [&](const InstanceSample& i, const std::string& index) {
      if (i.cpu_s) w.Sample(name, {{"program", i.program}, {"instance", index}}, value(i));
    });
  };
  usage("sup_instance_cpu_seconds_total", "counter",
        "User and system CPU time of the instance's processes in seconds.",
        [](const InstanceSample& i) { return *i.cpu_s; });
  usage("sup_instance_memory_bytes", "gauge",
        "Resident memory of the instance's processes (its cgroup's memory.current in cgroup mode).",
        [](const InstanceSample& i) { return *i.memory_bytes; });

  RenderAgentCounters(w, instances);
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RenderMetrics(const MetricsSnapshot& snapshot) {
  std::string out;
  out.reserve(2048 + snapshot.instances.size() * 1800);
  Writer w(out);
  RenderSupd(w, snapshot.supd);
  RenderInstances(w, snapshot.instances);
  return out;
}

}  // namespace sup::daemon::http
