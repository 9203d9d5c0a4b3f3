// rtt_client: control-plane load for the benchmarks. C threads each open one connection to
// supd's socket and send {"id":N,"cmd":"version"} back to back (one request in flight per
// client), timing each round trip with CLOCK_MONOTONIC. All clients connect and warm up first,
// then start together; the run ends after --requests round trips per client or --seconds.
// Prints one JSON object: totals, requests/s, p50/p99/max, and each client's median.
//   rtt_client --socket PATH [--clients 1] [--requests N | --seconds S] [--warmup 200]
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC on Linux

struct Options {
  std::string socket_path;
  int clients = 1;
  long long requests = 0;  // per client; 0: run for `seconds`
  double seconds = 0;
  int warmup = 200;
};

struct ClientResult {
  std::vector<std::uint32_t> latencies_ns;  // one per measured round trip
  long long errors = 0;
  std::string failure;  // why this client could not run at all
};

// One connection: blocking I/O, a read buffer kept across replies.
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  bool Open(const std::string& path, std::string* failure) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd_ < 0 || path.size() >= sizeof address.sun_path) {
      *failure = "socket: " + std::string(std::strerror(errno));
      return false;
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      *failure = "connect " + path + ": " + std::strerror(errno);
      return false;
    }
    return true;
  }
  // Sends one `version` request and reads its reply line. Returns false on a broken connection;
  // `ok` tells whether supd answered "ok":true.
  bool RoundTrip(long long id, bool* ok) {
    char request[64];
    const int size = std::snprintf(request, sizeof request, "{\"id\":%lld,\"cmd\":\"version\"}\n", id);
    for (int sent = 0; sent < size;) {
      const ssize_t n = send(fd_, request + sent, static_cast<size_t>(size - sent), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<int>(n);
    }
    for (;;) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        *ok = std::string_view(buffer_).substr(0, newline).find("\"ok\":true") != std::string_view::npos;
        buffer_.erase(0, newline + 1);
        return true;
      }
      char chunk[4096];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

bool ParseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (flag == "--socket") {
      options->socket_path = value;
    } else if (flag == "--clients") {
      options->clients = std::atoi(value);
    } else if (flag == "--requests") {
      options->requests = std::atoll(value);
    } else if (flag == "--seconds") {
      options->seconds = std::atof(value);
    } else if (flag == "--warmup") {
      options->warmup = std::atoi(value);
    } else {
      return false;
    }
  }
  return !options->socket_path.empty() && options->clients > 0 &&
         (options->requests > 0) != (options->seconds > 0) && options->warmup >= 0;
}

void RunClient(const Options& options, std::latch* ready, const std::atomic<bool>* stop,
               ClientResult* result) {
  Connection connection;
  bool opened = connection.Open(options.socket_path, &result->failure);
  long long id = 0;
  bool ok = false;
  for (int i = 0; opened && i < options.warmup; ++i) {
    if (!connection.RoundTrip(++id, &ok)) {
      result->failure = "connection closed during warm-up";
      opened = false;
    }
  }
  ready->arrive_and_wait();
  if (!opened) return;
  if (options.requests > 0) result->latencies_ns.reserve(static_cast<size_t>(options.requests));
  for (long long done = 0; options.requests == 0 || done < options.requests; ++done) {
    if (options.requests == 0 && stop->load(std::memory_order_relaxed)) break;
    const auto begin = Clock::now();
    if (!connection.RoundTrip(++id, &ok)) {
      result->failure = "connection closed";
      return;
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - begin).count();
    result->latencies_ns.push_back(static_cast<std::uint32_t>(std::min<long long>(ns, UINT32_MAX)));
    if (!ok) ++result->errors;
  }
}

double Percentile(const std::vector<std::uint32_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(fraction * static_cast<double>(sorted.size())));
  return sorted[index] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    std::fputs("usage: rtt_client --socket PATH [--clients C] (--requests N | --seconds S) [--warmup W]\n",
               stderr);
    return 2;
  }
  std::vector<ClientResult> results(static_cast<size_t>(options.clients));
  std::latch ready(options.clients + 1);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  threads.reserve(results.size());
  for (auto& result : results) threads.emplace_back(RunClient, std::cref(options), &ready, &stop, &result);
  ready.arrive_and_wait();
  const auto begin = Clock::now();
  if (options.seconds > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
    stop.store(true);
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();

  std::vector<std::uint32_t> all;
  std::vector<double> medians;
  long long errors = 0;
  std::string failure;
  for (auto& result : results) {
    if (!result.failure.empty() && failure.empty()) failure = result.failure;
    errors += result.errors;
    std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
    medians.push_back(Percentile(result.latencies_ns, 0.5));
    all.insert(all.end(), result.latencies_ns.begin(), result.latencies_ns.end());
  }
  std::sort(all.begin(), all.end());
  std::printf("{\"clients\":%d,\"requests\":%zu,\"errors\":%lld,\"seconds\":%.6f,\"rps\":%.1f,", options.clients,
              all.size(), errors, elapsed, static_cast<double>(all.size()) / elapsed);
  std::printf("\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,\"client_medians_us\":[",
              Percentile(all, 0.5), Percentile(all, 0.9), Percentile(all, 0.99),
              all.empty() ? 0.0 : all.back() / 1000.0);
  for (size_t i = 0; i < medians.size(); ++i) std::printf("%s%.3f", i ? "," : "", medians[i]);
  std::string escaped;
  for (char c : failure) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  std::printf("],\"failure\":\"%s\"}\n", escaped.c_str());
  return failure.empty() ? 0 : 1;
}
