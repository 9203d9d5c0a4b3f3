#include "process/clone_into_cgroup.h"

#include <linux/sched.h>  // struct clone_args, CLONE_INTO_CGROUP
#include <signal.h>
#include <sys/syscall.h>

#include <cerrno>

// long sup_clone3_trampoline(struct clone_args* args, size_t size, int (*fn)(void*), void* arg)
//
// Makes the raw clone3 system call. In the parent it returns what the kernel returned (the
// child's pid, or -errno). The child wakes up at the same instruction with the return value 0,
// every other register as the parent had it, and its stack pointer at args->stack +
// args->stack_size: it must not touch the parent's stack frame (with CLONE_VM that is the
// parent's live memory, and the compiler's code after a C-level syscall would read locals
// through the old frame). So the child branches off at once, calls fn(arg) on its fresh stack
// with an empty frame chain, and exits with fn's return value if fn ever returns (RunChild
// never does). fn and arg travel in registers the syscall preserves.
extern "C" long sup_clone3_trampoline(clone_args* args, std::size_t size, int (*fn)(void*), void* arg);

#if defined(__x86_64__)
// rdi = args, rsi = size, rdx = fn, rcx = arg. `syscall` clobbers rcx and r11, so arg moves
// to r8 first. The kernel's stack top is 16-byte aligned, and `call` pushes the return
// address, so fn starts with the alignment the ABI promises a function.
asm(R"(
    .text
    .globl sup_clone3_trampoline
    .hidden sup_clone3_trampoline
    .type sup_clone3_trampoline, @function
    .p2align 4
sup_clone3_trampoline:
    .cfi_startproc
    movq %rcx, %r8
    movl $435, %eax
    syscall
    testq %rax, %rax
    jz 1f
    ret
1:
    .cfi_undefined %rip
    xorl %ebp, %ebp
    movq %r8, %rdi
    call *%rdx
    movl %eax, %edi
    movl $60, %eax
    syscall
    hlt
    .cfi_endproc
    .size sup_clone3_trampoline, .-sup_clone3_trampoline
)");
static_assert(SYS_clone3 == 435 && SYS_exit == 60, "the trampoline's system call numbers");
#define SUP_HAVE_CLONE3_TRAMPOLINE 1
#elif defined(__aarch64__)
// x0 = args, x1 = size, x2 = fn, x3 = arg; `svc` changes only x0. The child clears the frame
// pointer and link register so that unwinders stop at fn.
asm(R"(
    .text
    .globl sup_clone3_trampoline
    .hidden sup_clone3_trampoline
    .type sup_clone3_trampoline, %function
    .p2align 2
sup_clone3_trampoline:
    .cfi_startproc
    mov x8, #435
    svc #0
    cbz x0, 1f
    ret
1:
    .cfi_undefined x30
    mov x29, xzr
    mov x30, xzr
    mov x0, x3
    blr x2
    mov x8, #93
    svc #0
    brk #0
    .cfi_endproc
    .size sup_clone3_trampoline, .-sup_clone3_trampoline
)");
static_assert(SYS_clone3 == 435 && SYS_exit == 93, "the trampoline's system call numbers");
#define SUP_HAVE_CLONE3_TRAMPOLINE 1
#endif

namespace sup::daemon {

pid_t CloneIntoCgroup(const CloneIntoCgroupArgs& args) {
#if defined(SUP_HAVE_CLONE3_TRAMPOLINE)
  clone_args ca{};
  ca.flags = args.flags | CLONE_INTO_CGROUP;
  ca.exit_signal = SIGCHLD;
  ca.stack = reinterpret_cast<std::uintptr_t>(args.stack_low);
  ca.stack_size = args.stack_size;
  ca.cgroup = static_cast<std::uint64_t>(args.cgroup_fd);
  // CLONE_ARGS_SIZE_VER2: the struct as of Linux 5.7, the first to know `cgroup`.
  const long r = sup_clone3_trampoline(&ca, CLONE_ARGS_SIZE_VER2, args.child, args.child_arg);
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return static_cast<pid_t>(r);
#else
  (void)args;
  errno = ENOSYS;
  return -1;
#endif
}

bool CloneIntoCgroupUnsupported(int error) {
  return error == ENOSYS || error == E2BIG || error == EINVAL || error == EPERM;
}

}  // namespace sup::daemon
