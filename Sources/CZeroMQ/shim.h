#ifndef STREAMSMOTE_CZEROMQ_SHIM_H
#define STREAMSMOTE_CZEROMQ_SHIM_H
// libzmq's public API. ZMQ_BUILD_DRAFT_API stays off: only stable calls are used.
#include <zmq.h>
#include <errno.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

// Names the calling thread for `top -H` and debuggers (Glibc hides pthread_setname_np from
// Swift behind _GNU_SOURCE). At most 15 bytes are kept.
static inline void czmq_shim_set_thread_name(const char *name) {
#ifdef __linux__
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}
#endif
