// Splits a byte stream into newline-terminated lines with a bound on line length. An
// oversize line is reported as soon as it crosses the bound and is never buffered whole:
// its remaining bytes are dropped up to the next newline.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sup::protocol {

class LineFramer {
 public:
  struct Item {
    bool oversize = false;  // true: `line` is empty and a line longer than the bound was dropped
    std::string line;       // without the '\n' (and without a '\r' before it)
  };

  explicit LineFramer(std::size_t max_line);

  // Appends `bytes`; returns the lines they completed, in order.
  std::vector<Item> Feed(std::string_view bytes);

  // Bytes of the current partial line held (0 while dropping an oversize line).
  std::size_t buffered() const { return partial_.size(); }

 private:
  std::size_t max_line_;
  std::string partial_;
  bool dropping_ = false;  // inside an oversize line already reported
};

}  // namespace sup::protocol
