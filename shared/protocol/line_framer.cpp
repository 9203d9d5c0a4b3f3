#include "protocol/line_framer.h"

namespace sup::protocol {

LineFramer::LineFramer(std::size_t max_line) : max_line_(max_line) {}

std::vector<LineFramer::Item> LineFramer::Feed(std::string_view bytes) {
  std::vector<Item> items;
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const std::string_view chunk = bytes.substr(0, nl);
    if (dropping_) {
      if (nl != std::string_view::npos) dropping_ = false;
    } else if (partial_.size() + chunk.size() > max_line_) {
      // Report once, now; the rest of this line is dropped without being stored.
      partial_.clear();
      partial_.shrink_to_fit();
      items.push_back(Item{true, {}});
      dropping_ = nl == std::string_view::npos;
    } else if (nl == std::string_view::npos) {
      partial_.append(chunk);
    } else {
      partial_.append(chunk);
      if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
      items.push_back(Item{false, std::move(partial_)});
      partial_.clear();
    }
    if (nl == std::string_view::npos) break;
    bytes.remove_prefix(nl + 1);
  }
  return items;
}

}  // namespace sup::protocol
