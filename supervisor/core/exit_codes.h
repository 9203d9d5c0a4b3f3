// supd's exit codes (SPEC §7), the first that applies, in one place as ctl/exit_codes.h is
// supctl's. With a main program (`-c FILE -- CMD`) supd exits with main's status instead.
// Init mode (`supd -- CMD`) passes its child's status through (init/signal_policy.h): §7
// does not apply there.
#pragma once

namespace sup::daemon {

inline constexpr int kExitOk = 0;
inline constexpr int kExitKilled = 1;       // something had to be SIGKILLed (timeout, second TERM)
inline constexpr int kExitConfigError = 2;  // bad command line or config, or start-up failed
inline constexpr int kExitFatal = 3;        // a program with on_fatal = "shutdown" went FATAL
// A main program that died of signal N: 128 + N, as a shell reports it.
inline constexpr int kExitSignalBase = 128;

}  // namespace sup::daemon
