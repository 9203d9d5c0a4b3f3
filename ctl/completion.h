// Shell completion for supctl: the bash, zsh and fish scripts `supctl completion SHELL` prints. They
// are generated from DescribeCommands() (cli.h), so they know exactly the commands and options
// the parser knows; program names are asked of supd when completing (`supctl __complete-names`).
#pragma once

#include <string>

namespace sup::ctl {

// The script for "bash", "zsh" or "fish"; "" for any other shell.
std::string CompletionScript(const std::string& shell);

}  // namespace sup::ctl
