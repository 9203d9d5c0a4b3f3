// Durations, sizes and signal names as sup.toml writes them.
#include "sup/conf/units.h"

#include <csignal>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace sup::conf {
namespace {

struct SignalEntry {
  std::string_view name;
  int number;
};

constexpr std::array<SignalEntry, 31> kSignals{{
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"BUS", SIGBUS},       {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},     {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT},     {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},     {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads a non-negative decimal number ("12", "1.5", ".5") from the front of `s`.
std::optional<double> TakeNumber(std::string_view& s) {
  size_t i = 0;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  }
  if (!digits) return std::nullopt;
  double value = 0;
  if (s[0] == '.') {  // from_chars wants a digit first
    const std::string text = "0" + std::string(s.substr(0, i));
    std::from_chars(text.data(), text.data() + text.size(), value);
  } else {
    std::from_chars(s.data(), s.data() + i, value);
  }
  s.remove_prefix(i);
  return value;
}

std::optional<double> DurationUnitMs(std::string_view unit) {
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1000.0;
  if (unit == "m" || unit == "min") return 60'000.0;
  if (unit == "h") return 3'600'000.0;
  if (unit == "d") return 86'400'000.0;
  return std::nullopt;
}

std::optional<double> SizeUnitBytes(const std::string& unit) {
  static constexpr std::array<std::pair<std::string_view, double>, 10> kUnits{{
      {"", 1.0}, {"b", 1.0},
      {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
      {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0},
  }};
  for (const auto& [name, factor] : kUnits)
    if (unit == name) return factor;
  return std::nullopt;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  double total_ms = 0;
  bool first = true;
  while (!s.empty()) {
    auto number = TakeNumber(s);
    if (!number) return std::nullopt;
    size_t unit_len = 0;
    while (unit_len < s.size() && std::isalpha(static_cast<unsigned char>(s[unit_len]))) ++unit_len;
    const std::string_view unit = s.substr(0, unit_len);
    s.remove_prefix(unit_len);
    if (unit.empty()) {
      if (!first || !s.empty()) return std::nullopt;  // a bare number only on its own: seconds
      total_ms = *number * 1000.0;
      break;
    }
    auto factor = DurationUnitMs(unit);
    if (!factor) return std::nullopt;
    total_ms += *number * *factor;
    first = false;
  }
  if (!(total_ms < static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2))) return std::nullopt;
  return Duration{std::llround(total_ms)};
}

std::optional<std::uint64_t> ParseSize(std::string_view s) {
  s = Trim(s);
  auto number = TakeNumber(s);
  if (!number) return std::nullopt;
  auto factor = SizeUnitBytes(Lower(Trim(s)));
  if (!factor) return std::nullopt;
  const double bytes = *number * *factor;
  if (!(bytes < 18e18)) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::optional<int> ParseSignal(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(s.front()))) {
    int n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n < 1 || n >= NSIG) return std::nullopt;
    return n;
  }
  std::string upper(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view name = upper;
  if (name.starts_with("SIG")) name.remove_prefix(3);
  for (const auto& entry : kSignals)
    if (entry.name == name) return entry.number;
  if (name == "IOT") return SIGABRT;
  if (name == "CLD") return SIGCHLD;
  if (name == "POLL") return SIGIO;
  return std::nullopt;
}

std::string SignalName(int sig) {
  for (const auto& entry : kSignals)
    if (entry.number == sig) return std::string(entry.name);
  return std::to_string(sig);
}

std::string FormatDuration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  const std::int64_t hours = ms / 3'600'000;
  const std::int64_t minutes = ms / 60'000 % 60;
  const std::int64_t seconds = ms / 1000 % 60;
  const std::int64_t millis = ms % 1000;
  if (hours) out += std::to_string(hours) + "h";
  if (minutes) out += std::to_string(minutes) + "m";
  if (seconds || millis) {
    out += std::to_string(seconds);
    if (millis) {
      std::string frac = std::to_string(millis + 1000).substr(1);  // zero-padded to 3 digits
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

}  // namespace sup::conf
