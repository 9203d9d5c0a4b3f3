# How supd and supctl are linked. Both are started often (supctl once per command, supd as a
# container's PID 1) and most of a short run is the dynamic loader's work and the page faults
# of the kernel. glibc stays shared: users and groups are resolved through the NSS modules
# nsswitch.conf names, which a static glibc cannot load safely (SPEC §9.1,
# tests/integration/test_ctl_nss.py). Everything else is linked in or left out:
#  - libstdc++ and libgcc statically;
#  - libm statically (libstdc++'s from_chars needs fegetround/fesetround, units.cpp llround),
#    and --as-needed then drops libm.so.6: one shared object fewer to map, relocate and run
#    the ifunc resolvers of;
#  - --gc-sections: sections nothing refers to are dropped (supctl's text 2.66 -> 2.11 MB);
#  - -z pack-relative-relocs (DT_RELR): supctl's 4216 relative relocations take 0.7 KiB
#    instead of 99 KiB, read and applied at every start;
#  - -z now: every symbol bound once at start (no lazy-binding trampolines; full RELRO).
# PIE is kept (ASLR); -no-pie would save one more page fault in `supctl status`, little else.
# `supctl status` with 10 programs, perf stat -r 300 page faults: 123 -> 104 (/bin/true 49).
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" SUP_LINKER_HAS_RELR)

function(sup_link_for_start_up target)
  if(SUP_SANITIZE OR SUP_SANITIZE_THREAD)  # the sanitizers' runtimes are shared
    return()
  endif()
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc -Wl,--as-needed
                      -Wl,--gc-sections -Wl,-z,now)
  if(SUP_LINKER_HAS_RELR)
    target_link_options(${target} PRIVATE -Wl,-z,pack-relative-relocs)
  endif()
  # libm.a must come after libstdc++.a, which refers to it, and so after every library of the
  # target: only the directory's standard libraries are placed last (`target` is the one
  # executable of its directory). Inside -Wl, since the compiler driver replaces a plain -lm
  # with its own shared one.
  set(CMAKE_CXX_STANDARD_LIBRARIES
      "${CMAKE_CXX_STANDARD_LIBRARIES} -Wl,--push-state,-Bstatic,-lstdc++,-lm,--pop-state"
      PARENT_SCOPE)
endfunction()
