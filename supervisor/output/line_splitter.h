// LineSplitter: turns the byte stream of one pipe into whole lines. Pure (no I/O).
// A partial line is carried to the next Feed(); a line longer than the limit is cut into
// limit-sized lines; Finish() (at EOF) flushes a final line that had no '\n'.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace sup::daemon::output {

class LineSplitter {
 public:
  static constexpr std::size_t kMaxLine = 64 * 1024;
  // Receives each line without its '\n'; the view is valid only during the call.
  using Emit = std::function<void(std::string_view line)>;

  explicit LineSplitter(std::size_t max_line = kMaxLine) : max_line_(max_line) {}

  void Feed(std::string_view bytes, const Emit& emit);
  void Finish(const Emit& emit);

  std::size_t pending() const { return pending_.size(); }
  std::size_t max_line() const { return max_line_; }

 private:
  std::size_t max_line_;
  std::string pending_;  // the partial line carried between Feed() calls, <= max_line_
};

}  // namespace sup::daemon::output
