// Compact JSON text written straight into a string, for replies built too often or too large
// to go through an nlohmann::json document first. `status` of 10 000 instances spent most of
// its time allocating, filling and freeing ~25 document nodes per instance (perf record,
// BENCHMARKS.md scale10k); writing the text directly does the same work without them.
// The text is what protocol::Dump would have written for the same values: strings are
// escaped by the same rules, invalid UTF-8 replaced with U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sup::protocol {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // An object's member name; the value written next is its value.
  JsonWriter& Key(std::string_view name);

  JsonWriter& String(std::string_view text);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Uint(std::uint64_t value);
  JsonWriter& Double(double value);  // shortest text that reads back the same; 2 -> 2.0
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& Value(const nlohmann::json& value);  // through protocol::Dump

  // Key(name) followed by the value.
  JsonWriter& Member(std::string_view name, std::string_view text) { return Key(name).String(text); }
  JsonWriter& Member(std::string_view name, const char* text) { return Key(name).String(text); }
  JsonWriter& Member(std::string_view name, bool value) { return Key(name).Bool(value); }
  JsonWriter& Member(std::string_view name, int value) { return Key(name).Int(value); }
  JsonWriter& Member(std::string_view name, std::int64_t value) { return Key(name).Int(value); }
  JsonWriter& Member(std::string_view name, std::uint64_t value) { return Key(name).Uint(value); }
  JsonWriter& Member(std::string_view name, double value) { return Key(name).Double(value); }

 private:
  void Separate();  // the comma before a value or key that follows another

  std::string& out_;
  bool after_value_ = false;  // the last thing written was a value or a key's value
};

}  // namespace sup::protocol
