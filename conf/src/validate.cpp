// The checks that need the whole config (all files read): see document.h.
#include "document.h"

namespace sup::conf {

void Validate(LoadState& state) { (void)state; }

}  // namespace sup::conf
