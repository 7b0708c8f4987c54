// Linux interfaces glibc 2.36 does not wrap or that Swift cannot import:
// pidfd syscalls, errno, the wait-status macros. Deliberately no _GNU_SOURCE:
// it would make these headers disagree with Swift's Glibc module.
#pragma once
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK 04000
#endif

static inline int burrow_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}
static inline int burrow_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

// memfd_create and file sealing are declared only under _GNU_SOURCE; the
// values are the kernel's ABI (<linux/memfd.h>, <linux/fcntl.h>). A sealed
// memfd carries data (a compiled seccomp filter, bwrap's arguments) to a
// child without a file on disk that anyone could swap.
static const unsigned int burrow_mfd_cloexec = 0x0001U;
static const unsigned int burrow_mfd_allow_sealing = 0x0002U;
static const int burrow_f_add_seals = 1033;
static const int burrow_f_get_seals = 1034;
static const int burrow_f_seal_seal = 0x0001;
static const int burrow_f_seal_shrink = 0x0002;
static const int burrow_f_seal_grow = 0x0004;
static const int burrow_f_seal_write = 0x0008;
static inline int burrow_memfd_create(const char *name, unsigned int flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}

static inline int burrow_errno(void) { return errno; }
static inline void burrow_set_errno(int value) { errno = value; }
static inline int burrow_wifexited(int s) { return WIFEXITED(s); }
static inline int burrow_wexitstatus(int s) { return WEXITSTATUS(s); }
static inline int burrow_wifsignaled(int s) { return WIFSIGNALED(s); }
static inline int burrow_wtermsig(int s) { return WTERMSIG(s); }

// O_PATH needs _GNU_SOURCE in glibc's headers; the value is the kernel's ABI.
static const int burrow_o_path = 010000000;

// pipe2 is declared only under _GNU_SOURCE; the atomic O_CLOEXEC matters
// where several threads spawn children at once (an inherited pipe end would
// keep another child's output open forever).
extern int pipe2(int pipefd[2], int flags);
static inline int burrow_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

// syncfs is declared only under _GNU_SOURCE; a deploy syncs a whole
// checked-out tree with one call before renaming it into place.
extern int syncfs(int fd);
static inline int burrow_syncfs(int fd) { return syncfs(fd); }

// mkostemp is declared only under _GNU_SOURCE; O_CLOEXEC must be atomic for
// the same reason as pipe2's.
extern int mkostemp(char *template_, int flags);
static inline int burrow_mkostemp(char *template_, int flags) { return mkostemp(template_, flags); }

// glibc 2.34+: close every descriptor from `from` on in a posix_spawn child.
// Declared only under _GNU_SOURCE.
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
static inline int burrow_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

// close_range(2) with CLOSE_RANGE_CLOEXEC: marks every descriptor in the
// range close-on-exec, so nothing reaches an exec'd program by accident.
static inline int burrow_cloexec_from(unsigned int first) {
    return (int)syscall(SYS_close_range, first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
}

// setns(2) is declared only under _GNU_SOURCE.
static inline int burrow_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }

// The child half of `burrow enter`, run right after fork() so the process is
// single-threaded (setns into a user namespace refuses threaded callers)
// and nothing but system calls happens between fork and exec. Returns only
// on failure, with errno set; `failed_step` says which call failed.
//
// ns_fds[0] is the sandbox process's user namespace; the others (ipc, net,
// pid, uts, mnt; -1 = already shared) may belong to an *outer* user
// namespace: bwrap --disable-userns nests one more inside. So: join the
// namespace owning the mount namespace (NS_GET_USERNS), enter the others
// with its capabilities, then the process's own user namespace last.
#include <sys/ioctl.h>
#include <pthread.h>

// What an exec'd program must start with: every signal at its default and
// none blocked. Swift runs `burrow run` on a worker thread whose mask blocks
// almost every signal, and dispositions set to SIG_IGN survive exec: without
// this, an app would start deaf to SIGTERM and Ctrl-C.
// The raw system call, because glibc's wrappers refuse the two real-time
// signals it keeps for itself (32, 33), which an inherited SIG_IGN can hold
// too. x86_64/aarch64 kernel layout: handler, flags, restorer, mask.
struct burrow_kernel_sigaction { void *handler; unsigned long flags; void *restorer; unsigned long mask; };
static inline void burrow_reset_signals(void) {
    struct burrow_kernel_sigaction standard = { 0 };  // SIG_DFL, no flags, empty mask
    for (int number = 1; number <= 64; number++) {
        if (number != SIGKILL && number != SIGSTOP) {
            (void)syscall(SYS_rt_sigaction, number, &standard, NULL, sizeof(unsigned long));
        }
    }
    sigset_t none;
    sigemptyset(&none);
    (void)pthread_sigmask(SIG_SETMASK, &none, NULL);
}

// NS_GET_USERNS (<linux/nsfs.h>): the user namespace owning namespace `fd`,
// as a new descriptor; ioctl is variadic, so Swift cannot call it itself.
static inline int burrow_ns_owner(int fd) { return ioctl(fd, 0xb701); }

static inline int burrow_enter_exec(const int *ns_fds, int ns_count, int root_fd, const char *path,
                                    char *const argv[], char *const envp[], int *failed_step) {
    int mount_fd = ns_count > 0 ? ns_fds[ns_count - 1] : -1;
    if (mount_fd >= 0) {
        int owner = ioctl(mount_fd, 0xb701 /* NS_GET_USERNS */);
        // EPERM here means the owner is an ancestor of ours: nothing to join.
        if (owner >= 0) {
            (void)syscall(SYS_setns, owner, 0);  // fails harmlessly if it is ours already
            close(owner);
        }
    }
    for (int i = 1; i < ns_count; i++) {
        if (ns_fds[i] >= 0 && syscall(SYS_setns, ns_fds[i], 0) != 0) { *failed_step = i; return -1; }
    }
    if (ns_count > 0 && ns_fds[0] >= 0 && syscall(SYS_setns, ns_fds[0], 0) != 0 && errno != EINVAL) {
        // EINVAL: already in it (the owner was the process's own namespace).
        *failed_step = 0;
        return -1;
    }
    *failed_step = ns_count;
    if (fchdir(root_fd) != 0 || chroot(".") != 0 || chdir("/") != 0) return -1;
    *failed_step = ns_count + 1;
    burrow_reset_signals();
    execve(path, argv, envp);
    return -1;
}

// renameat2 is declared only under _GNU_SOURCE. RENAME_NOREPLACE is the
// kernel's ABI value (<linux/fs.h>).
static const unsigned int burrow_rename_noreplace = 1U;
static inline int burrow_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

// The calling thread's name (15 bytes at most), for `ps -L` and debuggers:
// prctl is variadic, which Swift cannot call. PR_SET_NAME is 15.
static inline int burrow_set_thread_name(const char *name) { return (int)syscall(SYS_prctl, 15, name, 0, 0, 0); }
