#include "sup/base/result.h"

#include <cstring>

namespace sup {

std::string Error::Message() const {
  if (sys > 0) return context + ": " + std::strerror(sys);
  return context;
}

Error SystemError(std::string context, int err) {
  return Error{ErrorCode::kSystem, err, std::move(context)};
}

}  // namespace sup
