// Log files must be regular files (SPEC §9.1): the words the config check and the log file
// sink both use to say what a path is instead.
#pragma once

#include <sys/stat.h>

#include <string>

namespace sup {

// "a FIFO", "a character device", … for the file type in `mode` (from lstat/fstat).
inline const char* FileTypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

// "/dev/null is a character device, not a regular file (file = \"\" discards output)".
inline std::string NotALogFile(const std::string& path, mode_t mode) {
  return path + " is " + FileTypeName(mode) +
         ", not a regular file (file = \"\" discards output)";
}

}  // namespace sup
