// Name rules shared by the loader's checks: program/group names and "did you mean" hints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sup/conf/suggest.h"

namespace sup::conf {

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,63}
bool IsValidName(std::string_view name);
bool IsReservedName(std::string_view name);  // "all", "main"

size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace sup::conf
