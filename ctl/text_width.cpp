#include "ctl/text_width.h"

namespace sup::ctl {
namespace {

bool Continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::size_t DisplayColumns(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += Continuation(c) ? 0 : 1;
  return n;
}

std::string_view FitColumns(std::string_view text, std::size_t columns) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (Continuation(static_cast<unsigned char>(text[i]))) continue;
    if (used == columns) return text.substr(0, i);
    ++used;
  }
  return text;
}

}  // namespace sup::ctl
