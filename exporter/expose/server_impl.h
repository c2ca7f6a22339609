/*
 * server_impl.h: what server.c (the routes) and server_auth.c (the
 * page's Authorize) share. Not for other modules: use server.h.
 */
#ifndef SYNCBIT_SERVER_IMPL_H
#define SYNCBIT_SERVER_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include <microhttpd.h>

#include "api_status.h"
#include "server.h"
#include "webauth.h"

struct mhd_guard;

/* The last authorization of an account started on the page. */
struct server_outcome {
	int state;			/* enum api_auth */
	int64_t at;			/* UTC s */
	char text[ERR_MSG_MAX];
};

struct server {
	struct MHD_Daemon *mhd;
	struct mhd_guard *guard;
	struct server_config cfg;
	int port;
	struct webauth wa;		/* the server's one thread only */
	/* the code exchange runs on a thread of its own, one at a time */
	pthread_mutex_t lock;		/* job and outcomes */
	pthread_cond_t idle;
	int job;			/* 1: an exchange runs */
	struct server_outcome *outcomes;	/* one per account */
};

enum MHD_Result server_reply(struct MHD_Connection *, unsigned int status,
    const char *type, void *body, size_t len, enum MHD_ResponseMemoryMode);
enum MHD_Result server_reply_text(struct MHD_Connection *,
    unsigned int status, const char *text);

/* POST /authorize, every call of the request (the form arrives in
 * pieces); *con_cls holds the form (server_form_free). */
enum MHD_Result server_authorize(struct server *, struct MHD_Connection *,
    const char *upload_data, size_t *upload_size, void **con_cls);
void server_form_free(void *form);
/* GET /callback, the request complete: the exchange starts on its own
 * thread and the browser goes back to / at once. */
enum MHD_Result server_callback(struct server *, struct MHD_Connection *);
/* Until no exchange runs (server_stop, after the daemon stopped). */
void server_jobs_wait(struct server *);

#endif
