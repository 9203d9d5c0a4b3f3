// supervisord's %-expansion; see template.h.
#include "ctl/import/template.h"

#include <cctype>

namespace sup::ctl::import {
namespace {

struct Spec {
  bool left = false, zero = false, plus = false, space = false, alternate = false;
  size_t width = 0;
  bool has_precision = false;
  size_t precision = 0;
  char conversion = 0;
};

// "[flags][width][.precision][hlL]conv" at the start of `s`; `used` is its length.
bool ParseSpec(std::string_view s, Spec& spec, size_t& used) {
  size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '-') spec.left = true;
    else if (c == '0') spec.zero = true;
    else if (c == '+') spec.plus = true;
    else if (c == ' ') spec.space = true;
    else if (c == '#') spec.alternate = true;
    else break;
  }
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
    spec.width = std::min<size_t>(spec.width * 10 + static_cast<size_t>(s[i] - '0'), 4096);
  if (i < s.size() && s[i] == '.') {
    spec.has_precision = true;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
      spec.precision = std::min<size_t>(spec.precision * 10 + static_cast<size_t>(s[i] - '0'), 4096);
  }
  if (i < s.size() && (s[i] == 'h' || s[i] == 'l' || s[i] == 'L')) ++i;
  if (i >= s.size()) return false;
  spec.conversion = s[i];
  used = i + 1;
  return std::string_view("diouxXeEfFgGcrsa").find(spec.conversion) != std::string_view::npos;
}

std::string Pad(std::string body, const Spec& spec, bool numeric) {
  if (body.size() >= spec.width) return body;
  const size_t fill = spec.width - body.size();
  if (spec.left) return body + std::string(fill, ' ');
  if (numeric && spec.zero) {
    size_t sign = 0;  // zeros go after a sign or a 0x prefix
    if (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) sign = 1;
    if (body.size() >= sign + 2 && body[sign] == '0' &&
        (body[sign + 1] == 'x' || body[sign + 1] == 'X' || body[sign + 1] == 'o'))
      sign += 2;
    return body.substr(0, sign) + std::string(fill, '0') + body.substr(sign);
  }
  return std::string(fill, ' ') + body;
}

std::string FormatText(const std::string& text, const Spec& spec) {
  std::string body = spec.conversion == 's' ? text : "'" + text + "'";
  if (spec.has_precision && body.size() > spec.precision) body.resize(spec.precision);
  return Pad(std::move(body), spec, false);
}

bool FormatSpecInt(long long value, const Spec& spec, std::string& out) {
  const char c = spec.conversion;
  if (c == 's' || c == 'r' || c == 'a') {
    Spec text = spec;
    text.conversion = 's';
    out = FormatText(std::to_string(value), text);
    return true;
  }
  if (std::string_view("diuoxX").find(c) == std::string_view::npos) return false;
  const bool negative = value < 0;
  unsigned long long magnitude = negative ? 0ULL - static_cast<unsigned long long>(value)
                                          : static_cast<unsigned long long>(value);
  const int base = c == 'o' ? 8 : (c == 'x' || c == 'X') ? 16 : 10;
  const char* digits = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string number;
  do {
    number.insert(number.begin(), digits[magnitude % static_cast<unsigned>(base)]);
    magnitude /= static_cast<unsigned>(base);
  } while (magnitude != 0);
  if (spec.has_precision && number.size() < spec.precision)
    number.insert(0, spec.precision - number.size(), '0');
  std::string prefix = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.alternate && base != 10) prefix += c == 'o' ? "0o" : c == 'X' ? "0X" : "0x";
  out = Pad(prefix + number, spec, true);
  return true;
}

}  // namespace

Template Text(std::string text) {
  if (text.empty()) return {};
  return Template{Piece{Piece::Kind::kText, std::move(text), ""}};
}

void AppendText(Template& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().kind == Piece::Kind::kText) {
    out.back().text += text;
  } else {
    out.push_back(Piece{Piece::Kind::kText, std::string(text), ""});
  }
}

void Append(Template& out, const Template& more) {
  for (const auto& piece : more) {
    if (piece.kind == Piece::Kind::kText) AppendText(out, piece.text);
    else out.push_back(piece);
  }
}

bool HasReferences(const Template& t) {
  for (const auto& p : t)
    if (p.kind != Piece::Kind::kText) return true;
  return false;
}

bool UsesProcessNum(const Template& t) {
  for (const auto& p : t)
    if (p.kind == Piece::Kind::kProcessNum) return true;
  return false;
}

std::string PlainText(const Template& t) {
  std::string out;
  for (const auto& p : t)
    if (p.kind == Piece::Kind::kText) out += p.text;
  return out;
}

bool FormatInt(long long value, std::string_view format, std::string& out) {
  Spec spec;
  size_t used = 0;
  if (!ParseSpec(format, spec, used) || used != format.size()) return false;
  return FormatSpecInt(value, spec, out);
}

Expanded Interpolate(std::string_view raw, const Scope& scope) {
  Expanded r;
  size_t i = 0;
  while (i < raw.size()) {
    const size_t percent = raw.find('%', i);
    AppendText(r.value, raw.substr(i, percent == std::string_view::npos ? std::string_view::npos : percent - i));
    if (percent == std::string_view::npos) break;
    if (percent + 1 < raw.size() && raw[percent + 1] == '%') {
      AppendText(r.value, "%");
      i = percent + 2;
      continue;
    }
    if (percent + 1 >= raw.size() || raw[percent + 1] != '(') {
      r.error = "a `%` that is not `%(name)s` or `%%`";
      return r;
    }
    const size_t close = raw.find(')', percent + 2);
    if (close == std::string_view::npos) {
      r.error = "an unclosed `%(`";
      return r;
    }
    const std::string name(raw.substr(percent + 2, close - percent - 2));
    Spec spec;
    size_t used = 0;
    if (!ParseSpec(raw.substr(close + 1), spec, used)) {
      r.error = "a bad conversion after `%(" + name + ")`";
      return r;
    }
    const std::string format(raw.substr(close + 1, used));
    i = close + 1 + used;
    const bool text_conversion = spec.conversion == 's' || spec.conversion == 'r' || spec.conversion == 'a';
    if (name == "process_num" && scope.allow_process_num) {
      r.value.push_back(Piece{Piece::Kind::kProcessNum, "", format});
      continue;
    }
    if (auto it = scope.names.find(name); it != scope.names.end()) {
      if (format == "s") {
        Append(r.value, it->second);
      } else if (text_conversion && !HasReferences(it->second)) {
        AppendText(r.value, FormatText(PlainText(it->second), spec));
      } else {
        std::string number;
        const std::string text = PlainText(it->second);
        char* end = nullptr;
        const long long value = std::strtoll(text.c_str(), &end, 10);
        if (HasReferences(it->second) || text.empty() || *end != '\0' || !FormatSpecInt(value, spec, number)) {
          r.error = "`%(" + name + ")" + format + "` cannot be expanded";
          return r;
        }
        AppendText(r.value, number);
      }
      continue;
    }
    if (name.starts_with("ENV_") && name.size() > 4 && scope.env != nullptr) {
      if (format != "s") {
        r.error = "`%(" + name + ")" + format + "`: only %(" + name + ")s can be kept as ${" +
                  name.substr(4) + "}";
        return r;
      }
      r.value.push_back(Piece{Piece::Kind::kEnv, name.substr(4), ""});
      continue;
    }
    r.error = "`%(" + name + ")" + format + "` names nothing supervisord expands here";
    return r;
  }
  return r;
}

Template WithProcessNum(const Template& t, long long index) {
  Template out;
  for (const auto& p : t) {
    if (p.kind != Piece::Kind::kProcessNum) {
      if (p.kind == Piece::Kind::kText) AppendText(out, p.text);
      else out.push_back(p);
      continue;
    }
    std::string text;
    if (!FormatInt(index, p.format, text)) text = std::to_string(index);
    AppendText(out, text);
  }
  return out;
}

bool ProcessNumIsPlain(const Template& t, long long first, long long count) {
  for (const auto& p : t) {
    if (p.kind != Piece::Kind::kProcessNum) continue;
    for (long long n = first; n < first + count; ++n) {
      std::string text;
      if (!FormatInt(n, p.format, text) || text != std::to_string(n)) return false;
    }
  }
  return true;
}

}  // namespace sup::ctl::import
