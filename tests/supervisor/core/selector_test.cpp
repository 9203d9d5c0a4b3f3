#include <catch2/catch.hpp>

#include "core/selector.h"

using sup::conf::Config;
using sup::conf::GroupSpec;
using sup::conf::ProgramSpec;
using sup::daemon::InstanceRef;
using sup::daemon::ResolveSelectors;

namespace {

Config TwoProgramsAndAGroup() {
  Config c;
  ProgramSpec web;
  web.name = "web";
  web.instances = 3;
  ProgramSpec db;
  db.name = "db";
  c.programs = {web, db};
  GroupSpec g;
  g.name = "backend";
  g.programs = {"db"};
  c.groups = {g};
  return c;
}

}  // namespace

TEST_CASE("ResolveSelectors: no selector selects every instance in config order", "[core]") {
  auto r = ResolveSelectors({}, TwoProgramsAndAGroup());
  REQUIRE(r);
  CHECK(*r == std::vector<InstanceRef>{{"web", 0}, {"web", 1}, {"web", 2}, {"db", 0}});
}

TEST_CASE("ResolveSelectors: program, instance and group selectors merge without duplicates",
          "[core]") {
  auto r = ResolveSelectors({"backend", "web:1", "db"}, TwoProgramsAndAGroup());
  REQUIRE(r);
  CHECK(*r == std::vector<InstanceRef>{{"web", 1}, {"db", 0}});
}

TEST_CASE("ResolveSelectors: a single-instance program accepts name:0", "[core]") {
  auto r = ResolveSelectors({"db:0"}, TwoProgramsAndAGroup());
  REQUIRE(r);
  CHECK(*r == std::vector<InstanceRef>{{"db", 0}});
}

TEST_CASE("ResolveSelectors: a misspelt name is not found and suggests the closest", "[core]") {
  auto r = ResolveSelectors({"wbe"}, TwoProgramsAndAGroup());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == sup::ErrorCode::kNotFound);
  CHECK(r.error().context == "no program or group 'wbe' (did you mean 'web'?)");
}

TEST_CASE("ResolveSelectors: an index out of range names the instance count", "[core]") {
  auto r = ResolveSelectors({"web:3"}, TwoProgramsAndAGroup());
  REQUIRE_FALSE(r);
  CHECK(r.error().context == "no instance 'web:3' (web has 3 instances)");
}
