#include "output/line_splitter.h"

#include <cstring>

namespace sup::daemon::output {

void LineSplitter::Feed(std::string_view bytes, const Emit& emit) {
  while (!bytes.empty()) {
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    const std::size_t end = nl ? static_cast<const char*>(nl) - bytes.data() : bytes.size();
    std::string_view piece = bytes.substr(0, end);
    // Complete the carried line first; it holds at most max_line_ bytes.
    if (!pending_.empty()) {
      const std::size_t room = max_line_ - pending_.size();
      if (piece.size() > room) {  // too long: cut at the limit
        pending_.append(piece.substr(0, room));
        emit(pending_);
        pending_.clear();
        bytes.remove_prefix(room);
        continue;
      }
      pending_.append(piece);
      if (!nl) return;
      emit(pending_);
      pending_.clear();
      bytes.remove_prefix(end + 1);
      continue;
    }
    // Zero-copy path: whole lines straight from the caller's buffer.
    while (piece.size() > max_line_) {
      emit(piece.substr(0, max_line_));
      piece.remove_prefix(max_line_);
      bytes.remove_prefix(max_line_);
    }
    if (!nl) {
      pending_.assign(piece);
      return;
    }
    emit(piece);
    bytes.remove_prefix(piece.size() + 1);
  }
}

void LineSplitter::Finish(const Emit& emit) {
  if (pending_.empty()) return;
  emit(pending_);
  pending_.clear();
}

}  // namespace sup::daemon::output
