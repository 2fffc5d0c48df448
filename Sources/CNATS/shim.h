#ifndef STREAMSMOTE_CNATS_SHIM_H
#define STREAMSMOTE_CNATS_SHIM_H
// The NATS C client (libnats 3.4): core NATS, JetStream and KV.
#include <nats/nats.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

// Names the calling thread for `top -H` and debuggers (Glibc hides pthread_setname_np from
// Swift behind _GNU_SOURCE). At most 15 bytes are kept.
static inline void cnats_shim_set_thread_name(const char *name) {
#ifdef __linux__
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}
#endif
