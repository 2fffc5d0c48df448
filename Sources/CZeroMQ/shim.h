#ifndef STREAMSMOTE_CZEROMQ_SHIM_H
#define STREAMSMOTE_CZEROMQ_SHIM_H
// libzmq's public API. ZMQ_BUILD_DRAFT_API stays off: only stable calls are used.
#include <zmq.h>
#include <errno.h>
#endif
