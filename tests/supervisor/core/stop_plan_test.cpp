#include <catch2/catch.hpp>

#include "core/stop_plan.h"

using sup::conf::Config;
using sup::conf::ProgramSpec;
using sup::daemon::DependencyGraph;
using sup::daemon::ReleasableForStop;

namespace {

ProgramSpec Program(std::string name, std::vector<std::string> deps = {}, int priority = 100) {
  ProgramSpec p;
  p.name = std::move(name);
  p.priority = priority;
  for (auto& d : deps) p.depends_on.push_back({d, sup::conf::DependencyCondition::kReady});
  return p;
}

// db <- api <- web, and cache alone.
Config Chain() {
  Config c;
  c.programs = {Program("db"), Program("api", {"db"}), Program("web", {"api"}),
                Program("cache", {}, 10)};
  return c;
}

}  // namespace

TEST_CASE("ReleasableForStop: dependants go first, independent programs in the same wave",
          "[core]") {
  Config c = Chain();
  DependencyGraph g(c);
  std::set<std::string> all{"db", "api", "web", "cache"};
  CHECK(ReleasableForStop(g, c, all, all, {}) == std::vector<std::string>{"web", "cache"});
}

TEST_CASE("ReleasableForStop: a dependency is released once its dependants are gone",
          "[core]") {
  Config c = Chain();
  DependencyGraph g(c);
  std::set<std::string> all{"db", "api", "web", "cache"};
  CHECK(ReleasableForStop(g, c, all, {"db", "api"}, {"web", "cache"}) ==
        std::vector<std::string>{"api"});
  CHECK(ReleasableForStop(g, c, all, {"db"}, {"web", "cache", "api"}) ==
        std::vector<std::string>{"db"});
}

TEST_CASE("ReleasableForStop: a dependant outside the stop set does not hold a stop back",
          "[core]") {
  Config c = Chain();
  DependencyGraph g(c);
  CHECK(ReleasableForStop(g, c, {"db"}, {"db", "api", "web"}, {}) ==
        std::vector<std::string>{"db"});
}

TEST_CASE("DependencyGraph: dependants are transitive", "[core]") {
  Config c = Chain();
  DependencyGraph g(c);
  CHECK(g.Dependants("db") == std::set<std::string>{"api", "web"});
  CHECK(g.Dependencies("web") == std::set<std::string>{"api", "db"});
  CHECK(g.DirectDependants("db") == std::vector<std::string>{"api"});
}
