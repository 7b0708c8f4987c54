// Linux interfaces glibc 2.36 does not wrap or that Swift cannot import:
// pidfd syscalls, errno access, a few constants defined as macros.
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/signalfd.h>

static inline int burrow_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}
static inline int burrow_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}
static inline int burrow_errno(void) { return errno; }
static inline int burrow_wifexited(int s) { return WIFEXITED(s); }
static inline int burrow_wexitstatus(int s) { return WEXITSTATUS(s); }
static inline int burrow_wifsignaled(int s) { return WIFSIGNALED(s); }
static inline int burrow_wtermsig(int s) { return WTERMSIG(s); }
