// Typed reads of one TOML table; see table_reader.h.
#include "table_reader.h"

#include <cctype>
#include <cstdio>
#include <limits>

#include "names.h"
#include "sup/conf/units.h"

namespace sup::conf {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

SourcePos Context::Pos(const toml::source_region& region) const {
  return SourcePos{file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

TableReader::TableReader(Context& ctx, const toml::table& table, std::string where)
    : ctx_(ctx), table_(table), where_(std::move(where)) {}

void TableReader::CheckKeys(std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (const auto& [key, node] : table_) {
    bool known = false;
    for (auto a : allowed) known = known || key.str() == a;
    if (known) continue;
    std::string message = "unknown key `" + std::string(key.str()) + "` in " + where_;
    if (auto hint = ClosestMatch(key.str(), names); !hint.empty())
      message += " \u2014 did you mean `" + hint + "`?";
    ctx_.Error(ctx_.Pos(key.source()), std::move(message));
  }
}

SourcePos TableReader::Pos(std::string_view key) const {
  if (const auto* node = table_.get(key)) return ctx_.Pos(node->source());
  return ctx_.Pos(table_.source());
}

SourcePos TableReader::KeyPos(std::string_view key) const {
  for (const auto& [k, node] : table_)
    if (k.str() == key) return ctx_.Pos(k.source());
  return ctx_.Pos(table_.source());
}

void TableReader::TypeError(std::string_view key, const toml::node& node, std::string_view expected) {
  ctx_.Error(ctx_.Pos(node.source()), "`" + std::string(key) + "` in " + where_ + " must be " +
                                          std::string(expected) + ", not " +
                                          std::string(TypeName(node)));
}

void TableReader::ValueError(std::string_view key, const toml::node& node, std::string message) {
  ctx_.Error(ctx_.Pos(node.source()), message + " for `" + std::string(key) + "` in " + where_);
}

std::optional<std::string> TableReader::Expand(const toml::node& node, std::string_view key,
                                               InstanceVars vars) {
  const auto* s = node.as_string();
  if (!s) {
    TypeError(key, node, "a string");
    return std::nullopt;
  }
  VarsResult r = ExpandVars(s->get(), ctx_.env, vars);
  if (!r.error.empty()) {
    ctx_.Error(ctx_.Pos(node.source()), r.error + " in `" + std::string(key) + "` of " + where_);
    return std::nullopt;
  }
  return std::move(r.text);
}

void TableReader::Bool(std::string_view key, bool& out) {
  const auto* node = Find(key);
  if (!node) return;
  if (const auto* b = node->as_boolean()) out = b->get();
  else TypeError(key, *node, "true or false");
}

void TableReader::Int(std::string_view key, int& out, std::int64_t min, std::int64_t max) {
  const auto* node = Find(key);
  if (!node) return;
  const auto* i = node->as_integer();
  if (!i) return TypeError(key, *node, "an integer");
  const std::int64_t v = i->get();
  if (v < min || v > max) {
    std::string range = max == std::numeric_limits<int>::max()
                            ? "at least " + std::to_string(min)
                            : "between " + std::to_string(min) + " and " + std::to_string(max);
    return ctx_.Error(ctx_.Pos(node->source()), "`" + std::string(key) + "` in " + where_ +
                                                    " must be " + range + ", not " + std::to_string(v));
  }
  out = static_cast<int>(v);
}

void TableReader::Float(std::string_view key, double& out, double min, double max) {
  const auto* node = Find(key);
  if (!node) return;
  double v = 0;
  if (const auto* f = node->as_floating_point()) v = f->get();
  else if (const auto* i = node->as_integer()) v = static_cast<double>(i->get());
  else return TypeError(key, *node, "a number");
  if (!(v >= min && v <= max)) {
    std::string range = max == std::numeric_limits<double>::infinity()
                            ? "at least " + Number(min)
                            : "between " + Number(min) + " and " + Number(max);
    return ctx_.Error(ctx_.Pos(node->source()),
                      "`" + std::string(key) + "` in " + where_ + " must be " + range);
  }
  out = v;
}

void TableReader::Duration(std::string_view key, conf::Duration& out) {
  const auto* node = Find(key);
  if (!node) return;
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0 || i->get() > 100'000'000'000) return ValueError(key, *node, "bad duration " + std::to_string(i->get()));
    out = conf::Duration{i->get() * 1000};
  } else if (const auto* f = node->as_floating_point()) {
    if (!(f->get() >= 0 && f->get() < 1e11)) return ValueError(key, *node, "bad duration " + Number(f->get()));
    out = conf::Duration{static_cast<std::int64_t>(f->get() * 1000 + 0.5)};
  } else if (const auto* s = node->as_string()) {
    auto d = ParseDuration(s->get());
    if (!d) {
      return ValueError(key, *node, "bad duration " + Quote(s->get()) +
                                        " (expected e.g. \"250ms\", \"10s\", \"5m\" or integer seconds)");
    }
    out = *d;
  } else {
    TypeError(key, *node, "a duration (\"10s\" or integer seconds)");
  }
}

void TableReader::OptionalDuration(std::string_view key, std::optional<conf::Duration>& out) {
  const auto* node = Find(key);
  if (!node) return;
  if (const auto* s = node->as_string(); s && s->get().empty()) {
    out.reset();
    return;
  }
  conf::Duration d{-1};
  Duration(key, d);
  if (d.count() > 0) out = d;
  else if (d.count() == 0) out.reset();
}

void TableReader::Size(std::string_view key, std::uint64_t& out) {
  const auto* node = Find(key);
  if (!node) return;
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0) return ValueError(key, *node, "bad size " + std::to_string(i->get()));
    out = static_cast<std::uint64_t>(i->get());
  } else if (const auto* s = node->as_string()) {
    auto size = ParseSize(s->get());
    if (!size) {
      return ValueError(key, *node, "bad size " + Quote(s->get()) +
                                        " (expected e.g. \"64KiB\", \"50MB\" or integer bytes)");
    }
    out = *size;
  } else {
    TypeError(key, *node, "a size (\"64KiB\" or integer bytes)");
  }
}

void TableReader::Limit(std::string_view key, std::uint64_t& out) {
  const auto* node = Find(key);
  if (!node) return;
  if (const auto* s = node->as_string(); s && (s->get() == "unlimited" || s->get() == "infinity")) {
    out = std::numeric_limits<std::uint64_t>::max();  // RLIM_INFINITY on Linux
    return;
  }
  Size(key, out);
}

void TableReader::Signal(std::string_view key, int& out) {
  const auto* node = Find(key);
  if (!node) return;
  std::string text;
  if (const auto* i = node->as_integer()) text = std::to_string(i->get());
  else if (const auto* s = node->as_string()) text = s->get();
  else return TypeError(key, *node, "a signal name (\"TERM\") or number");
  if (auto sig = ParseSignal(text)) {
    out = *sig;
    return;
  }
  std::string message = "invalid signal " + Quote(text);
  static constexpr std::string_view kCommon[] = {"HUP", "INT", "QUIT", "KILL", "USR1", "USR2",
                                                 "TERM", "CONT", "STOP", "WINCH", "ALRM", "PWR"};
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.starts_with("SIG")) upper.erase(0, 3);
  if (auto hint = ClosestMatch(upper, {std::begin(kCommon), std::end(kCommon)}); !hint.empty())
    message += " (did you mean " + Quote(hint) + "?)";
  ValueError(key, *node, message);
}

void TableReader::Mode(std::string_view key, mode_t& out, mode_t max) {
  std::optional<mode_t> mode;
  OptionalMode(key, mode, max);
  if (mode) out = *mode;
}

void TableReader::OptionalMode(std::string_view key, std::optional<mode_t>& out, mode_t max) {
  const auto* node = Find(key);
  if (!node) return;
  std::uint64_t value = 0;
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0 || static_cast<std::uint64_t>(i->get()) > max)
      return ValueError(key, *node, "bad mode " + std::to_string(i->get()));
    value = static_cast<std::uint64_t>(i->get());
  } else if (const auto* s = node->as_string()) {
    const std::string& text = s->get();
    if (text.empty()) {
      out.reset();
      return;
    }
    bool ok = text.size() <= 5;
    for (char c : text) {
      ok = ok && c >= '0' && c <= '7';
      if (ok) value = value * 8 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || value > max) {
      return ValueError(key, *node, "bad mode " + Quote(text) + " (expected an octal string like \"" +
                                        (max == 0777 ? "022" : "0640") + "\")");
    }
  } else {
    return TypeError(key, *node, "an octal string like \"0640\"");
  }
  out = static_cast<mode_t>(value);
}

void TableReader::String(std::string_view key, std::string& out, InstanceVars vars) {
  const auto* node = Find(key);
  if (!node) return;
  if (auto text = Expand(*node, key, vars)) out = std::move(*text);
}

void TableReader::StringList(std::string_view key, std::vector<std::string>& out, InstanceVars vars) {
  const auto* node = Find(key);
  if (!node) return;
  const auto* array = node->as_array();
  if (!array) return TypeError(key, *node, "an array of strings");
  std::vector<std::string> items;
  bool ok = true;
  for (const auto& item : *array) {
    auto text = Expand(item, key, vars);
    ok = ok && text.has_value();
    if (text) items.push_back(std::move(*text));
  }
  if (ok) out = std::move(items);
}

void TableReader::IntList(std::string_view key, std::vector<int>& out, int min, int max) {
  const auto* node = Find(key);
  if (!node) return;
  const auto* array = node->as_array();
  if (!array) return TypeError(key, *node, "an array of integers");
  std::vector<int> items;
  for (const auto& item : *array) {
    const auto* i = item.as_integer();
    if (!i) return TypeError(key, item, "an array of integers");
    if (i->get() < min || i->get() > max) {
      return ctx_.Error(ctx_.Pos(item.source()), "`" + std::string(key) + "` in " + where_ +
                                                     " holds " + std::to_string(i->get()) +
                                                     ": values must be between " + std::to_string(min) +
                                                     " and " + std::to_string(max));
    }
    items.push_back(static_cast<int>(i->get()));
  }
  out = std::move(items);
}

const toml::table* TableReader::SubTable(std::string_view key) {
  const auto* node = Find(key);
  if (!node) return nullptr;
  if (const auto* t = node->as_table()) return t;
  TypeError(key, *node, "a table");
  return nullptr;
}

std::optional<std::string> TableReader::EnumText(std::string_view key) {
  const auto* node = Find(key);
  if (!node) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  TypeError(key, *node, "a string");
  return std::nullopt;
}

void TableReader::EnumError(std::string_view key, const std::string& got,
                            const std::vector<std::string>& valid) {
  std::string list;
  for (const auto& v : valid) list += (list.empty() ? "" : ", ") + Quote(v);
  const auto* node = Find(key);
  ctx_.Error(ctx_.Pos(node->source()), "bad value " + Quote(got) + " for `" + std::string(key) +
                                           "` in " + where_ + ": expected one of " + list);
}

}  // namespace sup::conf
