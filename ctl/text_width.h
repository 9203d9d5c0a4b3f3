// How much of a terminal line a text takes, for tables that fit the terminal's width (the
// last column cut, never wrapped: SPEC §9.3). Each UTF-8 code point counts as one column.
#pragma once

#include <cstddef>
#include <string_view>

namespace sup::ctl {

std::size_t DisplayColumns(std::string_view text);

// The prefix of `text` that fills at most `columns` columns; never cuts a UTF-8 sequence.
std::string_view FitColumns(std::string_view text, std::size_t columns);

}  // namespace sup::ctl
