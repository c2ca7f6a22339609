/*
 * mhd_guard: defenses shared by SyncBit's two libmicrohttpd servers (the
 * /metrics server and the OAuth callback listener).
 *
 * - A deadline for a complete request. libmicrohttpd's connection timeout
 *   only measures idleness, so a client that sends one header byte every
 *   few seconds (slowloris) keeps its slot forever, and a few such clients
 *   fill the connection limit: scrapes then wait in the accept queue
 *   forever. A watchdog thread aborts every connection that has not
 *   delivered a complete request (request line and headers) within the
 *   deadline since it opened or since its previous answer; libmicrohttpd
 *   then closes it and the slot is free again.
 * - A percent-decoder that leaves "%00" as it is: decoded, a NUL would cut
 *   the path or a parameter short in the C string libmicrohttpd hands us
 *   ("/metrics%00x" would be "/metrics", "state=S%00x" would be "S").
 * - libmicrohttpd's error messages, quoted and rate-limited: a flood of
 *   bad connections must not become a flood of log lines.
 *
 * Use: g = mhd_guard_new(); MHD_start_daemon(..., MHD_GUARD_OPTIONS(g),
 * ...); mhd_guard_busy(conn) when the access handler sees a request;
 * MHD_stop_daemon(); then mhd_guard_free(g).
 */
#ifndef SYNCBIT_MHD_GUARD_H
#define SYNCBIT_MHD_GUARD_H

#include <stdarg.h>

#include <microhttpd.h>

#include "err.h"

struct mhd_guard;

/* name prefixes log lines ("http server"); deadline_s > 0. */
struct mhd_guard *mhd_guard_new(const char *name, unsigned int deadline_s,
    struct err *);
/* After MHD_stop_daemon(): stops the watchdog, frees g. NULL is fine. */
void mhd_guard_free(struct mhd_guard *);

/* The access handler has the whole request and answers it: no deadline
 * until the answer is sent. */
void mhd_guard_busy(struct MHD_Connection *);

void mhd_guard_on_connection(void *cls, struct MHD_Connection *,
    void **socket_context, enum MHD_ConnectionNotificationCode);
void mhd_guard_on_completed(void *cls, struct MHD_Connection *,
    void **con_cls, enum MHD_RequestTerminationCode);
size_t mhd_guard_unescape(void *cls, struct MHD_Connection *, char *s);
void mhd_guard_log(void *cls, const char *fmt, va_list ap);
/* The same rate limit for the caller's own lines about bad requests:
 * 1 when the line may be logged. */
int mhd_guard_log_allowed(struct mhd_guard *);

#define MHD_GUARD_OPTIONS(g)						\
	MHD_OPTION_NOTIFY_CONNECTION, mhd_guard_on_connection, (g),	\
	MHD_OPTION_NOTIFY_COMPLETED, mhd_guard_on_completed, (g),	\
	MHD_OPTION_UNESCAPE_CALLBACK, mhd_guard_unescape, (g)

#endif
