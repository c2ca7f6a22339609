/*
 * server_impl.h: what server.c (the routes) and server_auth.c (the
 * page's Authorize) share. Not for other modules: use server.h.
 */
#ifndef SYNCBIT_SERVER_IMPL_H
#define SYNCBIT_SERVER_IMPL_H

#include <microhttpd.h>

#include "server.h"
#include "webauth.h"

struct mhd_guard;

struct server {
	struct MHD_Daemon *mhd;
	struct mhd_guard *guard;
	struct server_config cfg;
	int port;
	struct webauth wa;		/* the server's one thread only */
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
/* GET /callback, the request complete. */
enum MHD_Result server_callback(struct server *, struct MHD_Connection *);

#endif
