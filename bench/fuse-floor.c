// The floor of a FUSE document store: a libfuse3 low-level daemon that
// answers every lookup at once from memory, with no host file, no store
// and no permission check, on the same multi-threaded loop and with the
// same 1 s entry/attribute timeouts burrow-document-portal uses. It serves
//
//     /dN/NAME    a 4 KiB regular file for any N and any NAME
//
// the shape of a portal's /ID/NAME, so bench/documents.sh can stat the
// same number of paths through it and show what the kernel's FUSE round
// trips alone cost on this machine, cold and warm.
//
//   fuse-floor MOUNTPOINT THREADS     (stays in the foreground; SIGTERM unmounts)
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <stdio.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// Inode 1 is the root; directory dN is inode 2N+2 and its file 2N+3.
static void attributes(fuse_ino_t inode, struct stat *out) {
    memset(out, 0, sizeof *out);
    out->st_ino = inode;
    out->st_uid = getuid();
    out->st_gid = getgid();
    if (inode == 1 || inode % 2 == 0) {
        out->st_mode = S_IFDIR | 0500;
        out->st_nlink = 2;
    } else {
        out->st_mode = S_IFREG | 0400;
        out->st_nlink = 1;
        out->st_size = 4096;
    }
}

static void lookup(fuse_req_t request, fuse_ino_t parent, const char *name) {
    struct fuse_entry_param entry;
    memset(&entry, 0, sizeof entry);
    if (parent == 1 && name[0] == 'd' && name[1] != '\0') {
        char *end;
        unsigned long n = strtoul(name + 1, &end, 10);
        if (*end != '\0' || n > 1000000) {
            fuse_reply_err(request, ENOENT);
            return;
        }
        entry.ino = 2 * n + 2;
    } else if (parent != 1 && parent % 2 == 0) {
        entry.ino = parent + 1;
    } else {
        fuse_reply_err(request, parent == 1 ? ENOENT : ENOTDIR);
        return;
    }
    attributes(entry.ino, &entry.attr);
    entry.attr_timeout = 1.0;
    entry.entry_timeout = 1.0;
    fuse_reply_entry(request, &entry);
}

static void getattr(fuse_req_t request, fuse_ino_t inode, struct fuse_file_info *info) {
    (void)info;
    struct stat out;
    attributes(inode, &out);
    fuse_reply_attr(request, &out, 1.0);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fuse-floor MOUNTPOINT THREADS\n");
        return 2;
    }
    char *program[] = {argv[0], "-o", "fsname=fuse-floor,subtype=fuse-floor", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, program);
    struct fuse_lowlevel_ops ops = {.lookup = lookup, .getattr = getattr};
    struct fuse_session *session = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (session == NULL || fuse_set_signal_handlers(session) != 0 || fuse_session_mount(session, argv[1]) != 0) {
        fprintf(stderr, "fuse-floor: cannot mount %s\n", argv[1]);
        return 1;
    }
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(config, (unsigned)atoi(argv[2]));
    fuse_loop_cfg_set_idle_threads(config, (unsigned)atoi(argv[2]));
    int result = fuse_session_loop_mt(session, config);
    fuse_loop_cfg_destroy(config);
    fuse_session_unmount(session);
    fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    return result == 0 ? 0 : 1;
}
