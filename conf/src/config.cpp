// Config's lookups.
#include "sup/conf/config.h"

namespace sup::conf {

const ProgramSpec* Config::FindProgram(const std::string& name) const {
  for (const auto& p : programs)
    if (p.name == name) return &p;
  return nullptr;
}

const GroupSpec* Config::FindGroup(const std::string& name) const {
  for (const auto& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace sup::conf
