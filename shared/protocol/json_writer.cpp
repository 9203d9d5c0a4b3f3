#include "protocol/json_writer.h"

#include <charconv>
#include <cmath>

#include "protocol/message.h"

namespace sup::protocol {
namespace {

// Printable ASCII without '"' or '\\' needs no escaping: names, states and most messages.
bool Plain(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

template <typename T>
void AppendNumber(std::string& out, T value) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

}  // namespace

void JsonWriter::Separate() {
  if (after_value_) out_ += ',';
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  after_value_ = false;
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  after_value_ = false;
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  String(name);
  out_ += ':';
  after_value_ = false;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view text) {
  Separate();
  if (Plain(text)) {
    out_ += '"';
    out_ += text;
    out_ += '"';
  } else {
    out_ += Dump(nlohmann::json(text));  // the rare escaped string: exactly nlohmann's rules
  }
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t value) {
  Separate();
  AppendNumber(out_, value);
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Uint(std::uint64_t value) {
  Separate();
  AppendNumber(out_, value);
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  if (!std::isfinite(value)) return Null();  // as nlohmann writes NaN and infinities
  Separate();
  const std::size_t start = out_.size();
  AppendNumber(out_, value);
  // A whole number still reads as a float: nlohmann writes 2.0, to_chars writes 2.
  if (out_.find_first_of(".e", start) == std::string::npos) out_ += ".0";
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Value(const nlohmann::json& value) {
  Separate();
  out_ += Dump(value);
  after_value_ = true;
  return *this;
}

}  // namespace sup::protocol
