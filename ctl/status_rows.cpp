#include "ctl/status_rows.h"

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace sup::ctl {
namespace {

using nlohmann::json;

// The keys the rows read, recognised once per key event rather than compared per field.
enum class Key {
  kOther, kOk, kResult, kInstances, kName, kState, kPid, kUptime, kRestarts, kReady, kHealth,
  kLastExit, kExits, kStatusText, kWaitingFor, kError, kWantedUp, kCompleted, kSignal,
  kCoreDumped, kCode, kAt, kRunS, kOutputError, kCpuPct, kRss, kReason
};

Key KeyOf(std::string_view name) {
  static constexpr std::pair<std::string_view, Key> kKeys[] = {
      {"ok", Key::kOk},           {"result", Key::kResult},       {"instances", Key::kInstances},
      {"name", Key::kName},       {"state", Key::kState},         {"pid", Key::kPid},
      {"uptime_s", Key::kUptime}, {"restarts", Key::kRestarts},   {"ready", Key::kReady},
      {"health", Key::kHealth},   {"last_exit", Key::kLastExit},  {"exits", Key::kExits},
      {"status_text", Key::kStatusText}, {"waiting_for", Key::kWaitingFor},
      {"error", Key::kError},     {"wanted_up", Key::kWantedUp},  {"completed", Key::kCompleted},
      {"signal", Key::kSignal},   {"core_dumped", Key::kCoreDumped}, {"code", Key::kCode},
      {"at", Key::kAt},           {"run_s", Key::kRunS},          {"output_error", Key::kOutputError},
      {"cpu_pct", Key::kCpuPct},  {"rss_bytes", Key::kRss},        {"reason", Key::kReason}};
  for (const auto& [text, key] : kKeys) {
    if (text == name) return key;
  }
  return Key::kOther;
}

// Where the parser is in the document; everything under kOther is skipped.
enum class Frame { kOther, kEnvelope, kResult, kInstances, kInstance, kLastExit, kExits, kExit };

// One scalar as the handler sees it: its JSON kind, and its text for numbers and strings.
struct Scalar {
  enum class Kind { kNull, kBool, kNumber, kString } kind;
  bool boolean = false;
  double number = 0;
  bool integer = false;
  long long integer_value = 0;
  const std::string* text = nullptr;  // kString: the string; kNumber: its JSON text
};

// An exit record while it is read; Text() is FormatExit's.
struct ExitFields {
  bool has_signal = false;
  std::string signal;  // the name, or "signal N" for a number
  bool core_dumped = false;
  std::string code;    // the code's JSON text; empty when null or absent
  std::string at;
  double run_s = -1;
  std::string reason;

  std::string Text() const {
    if (has_signal) return core_dumped ? signal + " (core)" : signal;
    return "exit " + (code.empty() ? std::string("?") : code);
  }
};

// The nlohmann SAX interface (duck-typed, so no virtual calls). Each event is applied to the
// innermost frame and the key it came under.
class RowReader {
 public:
  explicit RowReader(bool envelope) : envelope_(envelope) {}

  bool null() { return Apply(Scalar{Scalar::Kind::kNull}); }
  bool boolean(bool value) {
    Scalar s{Scalar::Kind::kBool};
    s.boolean = value;
    return Apply(s);
  }
  bool number_integer(std::int64_t value) { return Integer(value); }
  bool number_unsigned(std::uint64_t value) { return Integer(static_cast<long long>(value)); }
  bool number_float(double value, const std::string& /*raw*/) {
    number_text_ = json(value).dump();  // the text FormatExit and the table print
    Scalar s{Scalar::Kind::kNumber};
    s.number = value;
    s.text = &number_text_;
    return Apply(s);
  }
  bool string(std::string& value) {
    Scalar s{Scalar::Kind::kString};
    s.text = &value;
    return Apply(s);
  }
  bool binary(json::binary_t& /*value*/) { return true; }
  bool key(std::string& name) {
    key_ = stack_.back() == Frame::kOther ? Key::kOther : KeyOf(name);
    return true;
  }
  bool start_object(std::size_t /*size*/) {
    stack_.push_back(ObjectFrame());
    if (stack_.back() == Frame::kInstance) reply_.rows.emplace_back();
    if (stack_.back() == Frame::kLastExit || stack_.back() == Frame::kExit) exit_ = ExitFields();
    if (stack_.back() == Frame::kResult) reply_.has_result = true;
    return true;
  }
  bool end_object() {
    if (stack_.back() == Frame::kLastExit) reply_.rows.back().last_exit = exit_.Text();
    if (stack_.back() == Frame::kExit)
      reply_.rows.back().exits.push_back(ExitRow{exit_.at, exit_.Text(), exit_.run_s, exit_.reason});
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*size*/) {
    const Frame parent = stack_.empty() ? Frame::kOther : stack_.back();
    Frame frame = Frame::kOther;
    if (parent == Frame::kResult && key_ == Key::kInstances) frame = Frame::kInstances;
    if (parent == Frame::kInstance && key_ == Key::kExits) frame = Frame::kExits;
    stack_.push_back(frame);
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return false;
  }

  StatusReply Take() { return std::move(reply_); }

 private:
  Frame ObjectFrame() const {
    if (stack_.empty()) return envelope_ ? Frame::kEnvelope : Frame::kResult;
    switch (stack_.back()) {
      case Frame::kEnvelope: return key_ == Key::kResult ? Frame::kResult : Frame::kOther;
      case Frame::kInstances: return Frame::kInstance;
      case Frame::kInstance: return key_ == Key::kLastExit ? Frame::kLastExit : Frame::kOther;
      case Frame::kExits: return Frame::kExit;
      default: return Frame::kOther;
    }
  }

  bool Integer(long long value) {
    number_text_ = std::to_string(value);
    Scalar s{Scalar::Kind::kNumber};
    s.number = static_cast<double>(value);
    s.integer = true;
    s.integer_value = value;
    s.text = &number_text_;
    return Apply(s);
  }

  bool Apply(const Scalar& s) {
    if (stack_.empty()) return true;
    switch (stack_.back()) {
      case Frame::kEnvelope:
        if (key_ == Key::kOk) reply_.ok = s.kind == Scalar::Kind::kBool && s.boolean;
        break;
      case Frame::kInstance:
        ApplyToRow(s, reply_.rows.back());
        break;
      case Frame::kLastExit:
      case Frame::kExit:
        ApplyToExit(s);
        break;
      default:
        break;
    }
    return true;
  }

  void ApplyToRow(const Scalar& s, StatusRow& row) const {
    using Kind = Scalar::Kind;
    const bool str = s.kind == Kind::kString;
    const bool num = s.kind == Kind::kNumber;
    const bool flag = s.kind == Kind::kBool;
    switch (key_) {
      case Key::kName: row.name = str ? *s.text : std::string(); break;
      case Key::kState: row.state = str ? *s.text : std::string(); break;
      case Key::kPid: row.pid = num ? *s.text : std::string(); break;
      case Key::kUptime: row.uptime_s = num ? s.number : -1; break;
      case Key::kCpuPct: row.cpu_pct = num ? s.number : -1; break;
      case Key::kRss: row.rss_bytes = num ? s.number : -1; break;
      case Key::kRestarts:
        row.restarts = !num ? 0 : s.integer ? s.integer_value : static_cast<long long>(s.number);
        break;
      case Key::kReady: row.ready = flag && s.boolean; break;
      case Key::kHealth: row.health = str ? *s.text : std::string(); break;
      case Key::kLastExit: row.last_exit = "-"; break;  // null: no exit yet (objects: own frame)
      case Key::kStatusText: row.status_text = str ? *s.text : std::string(); break;
      case Key::kWaitingFor: row.waiting_for = str ? *s.text : std::string(); break;
      case Key::kError: row.error = str ? *s.text : std::string(); break;
      case Key::kOutputError: row.output_error = str ? *s.text : std::string(); break;
      case Key::kWantedUp: row.wanted_up = !flag || s.boolean; break;
      case Key::kCompleted: row.completed = flag && s.boolean; break;
      default: break;
    }
  }

  void ApplyToExit(const Scalar& s) {
    using Kind = Scalar::Kind;
    switch (key_) {
      case Key::kSignal:
        exit_.has_signal = s.kind != Kind::kNull;
        if (s.kind == Kind::kString) exit_.signal = *s.text;
        if (s.kind == Kind::kNumber) exit_.signal = "signal " + *s.text;
        if (s.kind == Kind::kBool) exit_.signal = s.boolean ? "signal true" : "signal false";
        break;
      case Key::kCoreDumped: exit_.core_dumped = s.kind == Kind::kBool && s.boolean; break;
      case Key::kCode:
        exit_.code = s.kind == Kind::kNull     ? std::string()
                     : s.kind == Kind::kString ? json(*s.text).dump()
                     : s.kind == Kind::kBool   ? (s.boolean ? "true" : "false")
                                               : *s.text;
        break;
      case Key::kAt: exit_.at = s.kind == Kind::kString ? *s.text : std::string(); break;
      case Key::kRunS: exit_.run_s = s.kind == Kind::kNumber ? s.number : -1; break;
      case Key::kReason: exit_.reason = s.kind == Kind::kString ? *s.text : std::string(); break;
      default: break;
    }
  }

  bool envelope_;
  StatusReply reply_;
  std::vector<Frame> stack_;
  Key key_ = Key::kOther;    // the last key read: the key of the value now being read
  std::string number_text_;  // the current number's text, reused
  ExitFields exit_;          // the exit record being read
};

std::optional<StatusReply> Parse(std::string_view text, bool envelope) {
  RowReader reader(envelope);
  if (!json::sax_parse(text.begin(), text.end(), &reader)) return std::nullopt;
  return reader.Take();
}

}  // namespace

std::optional<StatusReply> ParseStatusReply(std::string_view line) { return Parse(line, true); }

std::optional<std::vector<StatusRow>> ParseStatusResult(std::string_view result) {
  auto parsed = Parse(result, false);
  if (!parsed) return std::nullopt;
  return std::move(parsed->rows);
}

}  // namespace sup::ctl
