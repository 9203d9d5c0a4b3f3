// JsonWriter must write what protocol::Dump writes for the same document: clients parse
// either, and `status` switched from one to the other.
#include "protocol/json_writer.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "protocol/message.h"

using nlohmann::json;
using sup::protocol::Dump;
using sup::protocol::JsonWriter;

namespace {

std::string Write(void (*fn)(JsonWriter&)) {
  std::string text;
  JsonWriter w(text);
  fn(w);
  return text;
}

}  // namespace

TEST_CASE("JsonWriter: objects, arrays and scalars -> the text Dump writes", "[protocol][json_writer]") {
  const std::string text = Write([](JsonWriter& w) {
    w.BeginObject()
        .Member("a", 1)
        .Key("b").BeginArray().Int(-2).Uint(std::numeric_limits<std::uint64_t>::max()).Null().EndArray()
        .Key("c").BeginObject().EndObject()
        .Key("d").BeginArray().EndArray()
        .Member("e", true)
        .Member("f", "plain")
        .Key("g").Value(json{{"x", json::array({1, "y"})}})
        .Key("h").BeginArray().BeginObject().Member("i", false).EndObject().BeginObject().EndObject().EndArray()
        .EndObject();
  });
  const json doc = {{"a", 1},
                    {"b", json::array({-2, std::numeric_limits<std::uint64_t>::max(), nullptr})},
                    {"c", json::object()},
                    {"d", json::array()},
                    {"e", true},
                    {"f", "plain"},
                    {"g", {{"x", json::array({1, "y"})}}},
                    {"h", json::array({{{"i", false}}, json::object()})}};
  CHECK(text == Dump(doc));
  CHECK(json::parse(text) == doc);
}

TEST_CASE("JsonWriter: doubles -> shortest text that reads back, always with a point", "[protocol][json_writer]") {
  for (const double d : {0.0, 2.0, 0.1, 12.3, 1234.5, 1e-7, 3.0e20, -0.5}) {
    std::string text;
    JsonWriter(text).Double(d);
    INFO(d);
    CHECK(json::parse(text).get<double>() == d);
    CHECK(json::parse(text).is_number_float());
    CHECK(text == Dump(json(d)));
  }
  std::string nan;
  JsonWriter(nan).Double(std::numeric_limits<double>::quiet_NaN());
  CHECK(nan == "null");
}

TEST_CASE("JsonWriter: strings needing escapes, and invalid UTF-8 -> as Dump writes them", "[protocol][json_writer]") {
  for (const std::string& s : {std::string("quote\" back\\slash"), std::string("tab\tnl\n\x01"),
                              std::string("caf\xC3\xA9"), std::string("bad \xFF\xFE utf8"),
                              std::string("nul\0x", 5), std::string("\x7f")}) {
    std::string text;
    JsonWriter(text).String(s);
    CHECK(text == Dump(json(s)));
    std::string member;
    JsonWriter(member).BeginObject().Member(s, s).EndObject();
    CHECK(member == Dump(json{{s, s}}));
  }
}
