// libfuse3's low-level API; the version must be fixed before the header.
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <errno.h>
#include <stddef.h>

// fuse_session_loop_mt is a version-selecting macro; this runs the
// multi-threaded loop with a thread cap.
static inline int burrow_fuse_loop_mt(struct fuse_session *se, unsigned max_threads) {
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    if (config == NULL) return -ENOMEM;
    fuse_loop_cfg_set_max_threads(config, max_threads);
    fuse_loop_cfg_set_idle_threads(config, max_threads);
    int result = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    return result;
}

// FUSE_BUFVEC_INIT is a macro: answers a read with `size` bytes of `fd` at
// `offset`, which libfuse splices into /dev/fuse without a user-space copy.
static inline int burrow_fuse_reply_fd(fuse_req_t req, int fd, size_t size, off_t offset) {
    struct fuse_bufvec buffer = FUSE_BUFVEC_INIT(size);
    buffer.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
    buffer.buf[0].fd = fd;
    buffer.buf[0].pos = offset;
    return fuse_reply_data(req, &buffer, FUSE_BUF_SPLICE_MOVE);
}
