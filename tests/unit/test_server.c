/*
 * server: routes, status codes, content types, readiness, and the
 * snapshot shared with concurrent readers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "expose/cache.h"
#include "httpc.h"
#include "expose/server.h"
#include "stats.h"
#include "t.h"

static long
get(struct httpc *h, int port, const char *method, const char *path,
    struct httpc_resp *resp)
{
	struct httpc_req req;
	struct err err = { 0 };
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.method = method;
	if (httpc_do(h, &req, resp, &err) == -1)
		return -1;
	return resp->status;
}

static void
test_routes(void)
{
	struct server_config sc;
	struct server_account sa;
	struct server *srv;
	struct cache *cache = cache_new();
	struct httpc *h = httpc_new(2, 5, "test", NULL);
	struct httpc_resp r, r2;
	struct err err = { 0 };
	struct samples s;
	char ct[128];
	int port;

	stats_reset();
	memset(&sc, 0, sizeof(sc));
	sc.host = "127.0.0.1";
	sc.port = 0;
	sa.user = "default";
	sa.cache = cache;
	sa.st = stats_account(0);
	sc.accounts = &sa;
	sc.naccounts = 1;
	sc.info.version = "0.1.0";
	sc.info.source = "fitbit";
	srv = server_start(&sc, &err);
	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	port = server_port(srv);
	CHECK(port > 0);
	httpc_resp_init(&r);

	CHECK(get(h, port, "GET", "/metrics", &r) == 200);
	CHECK(httpc_header(&r, "content-type", ct, sizeof(ct)) != NULL &&
	    strcmp(ct, "text/plain; version=0.0.4; charset=utf-8") == 0);
	CHECK(strstr(r.body, "syncbit_last_sync_success{user=\"default\"} 0\n") != NULL);

	samples_init(&s);
	samples_add(&s, "fitbit_steps_total", 1, 4242, NULL);
	cache_publish(cache, snapshot_new(&s, 0));
	CHECK(get(h, port, "GET", "/metrics", &r) == 200);
	CHECK(strstr(r.body, "fitbit_steps_total{user=\"default\"} 4242\n") !=
	    NULL);

	CHECK(get(h, port, "GET", "/healthz", &r) == 200);
	CHECK(get(h, port, "GET", "/readyz", &r) == 503);
	CHECK(strstr(r.body, "first sync") != NULL);
	atomic_store(&stats_account(0)->ready, READY_OK);
	CHECK(get(h, port, "GET", "/readyz", &r) == 200);
	atomic_store(&stats_account(0)->ready, READY_INVALID_GRANT);
	CHECK(get(h, port, "GET", "/readyz", &r) == 503);
	CHECK(strstr(r.body, "--authorize") != NULL);
	/* the API has no data of the account: the source's own words */
	atomic_store(&stats_account(0)->ready_hint, "not linked to Example Health");
	atomic_store(&stats_account(0)->ready, READY_ACCOUNT);
	CHECK(get(h, port, "GET", "/readyz", &r) == 503);
	CHECK(strstr(r.body, "not linked to Example Health") != NULL);
	atomic_store(&stats_account(0)->ready, READY_OK);
	atomic_store(&stats_get()->sync_interval_s, 60);
	atomic_store(&stats_account(0)->failing_since, (int64_t)time(NULL) - 1000);
	CHECK(get(h, port, "GET", "/readyz", &r) == 503);
	CHECK(strstr(r.body, "three intervals") != NULL);
	atomic_store(&stats_account(0)->failing_since, (int64_t)time(NULL) - 10);
	CHECK(get(h, port, "GET", "/readyz", &r) == 200);

	CHECK(get(h, port, "GET", "/", &r) == 200);
	CHECK(strstr(r.body, "href=\"/metrics\"") != NULL);
	CHECK(get(h, port, "GET", "/nope", &r) == 404);
	CHECK(get(h, port, "GET", "/metrics/../etc", &r) == 404);
	/* a decoded NUL would cut the path to "/metrics" */
	CHECK(get(h, port, "GET", "/metrics%00x", &r) == 404);
	CHECK(get(h, port, "GET", "/%6detrics", &r) == 200);
	CHECK(get(h, port, "POST", "/metrics", &r) == 405);
	CHECK(httpc_header(&r, "allow", ct, sizeof(ct)) != NULL &&
	    strcmp(ct, "GET, HEAD") == 0);
	/* the headers are curl's: only the handle's last answer has them */
	httpc_resp_init(&r2);
	CHECK(get(h, port, "GET", "/healthz", &r2) == 200);
	CHECK(httpc_header(&r, "allow", ct, sizeof(ct)) == NULL);
	CHECK(httpc_header(&r2, "Content-Type", ct, sizeof(ct)) != NULL);
	CHECK(httpc_header(&r2, "allow", ct, sizeof(ct)) == NULL);
	httpc_resp_release(&r2);
	CHECK(get(h, port, "DELETE", "/metrics", &r) == 405);
	CHECK(get(h, port, "HEAD", "/metrics", &r) == 200);
	CHECK(r.len == 0);

	httpc_resp_release(&r);
	server_stop(srv);
	httpc_free(h);
	cache_free(cache);
	stats_reset();
}

/* A raw connection to 127.0.0.1:port; -1 on failure. */
static int
dial(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd != -1 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* 1 when the server closed fd within ms milliseconds. */
static int
closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];

	while (poll(&p, 1, ms) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return 1;
	}
	return 0;
}

/*
 * Slowloris: a client that sends a header byte now and then is never idle
 * for the connection timeout, but must not hold its slot past the
 * deadline for a complete request. A request that completes in time is
 * answered as usual.
 */
static void
test_request_deadline(void)
{
	struct server_config sc;
	struct server_account sa;
	struct server *srv;
	struct cache *cache = cache_new();
	struct err err = { 0 };
	static const char line[] = "GET /healthz HTTP/1.1\r\n";
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd, ok, i, port;
	char buf[64];

	memset(&sc, 0, sizeof(sc));
	sc.host = "127.0.0.1";
	sa.user = "default";
	sa.cache = cache;
	sa.st = stats_account(0);
	sc.accounts = &sa;
	sc.naccounts = 1;
	sc.info.version = "0.1.0";
	sc.info.source = "fitbit";
	sc.timeout_s = 2;		/* idle timeout, and the deadline */
	srv = server_start(&sc, &err);
	CHECK(srv != NULL);
	if (srv == NULL) {
		cache_free(cache);
		return;
	}
	port = server_port(srv);
	fd = dial(port);
	CHECK(fd != -1);
	ok = fd != -1 && send(fd, line, strlen(line), 0) ==
	    (ssize_t)strlen(line);
	/* one byte every 500 ms: never idle for 2 s; cut after 2 s */
	for (i = 0; ok && i < 10; i++) {
		if (closed_within(fd, 500))
			break;
		if (send(fd, "X", 1, MSG_NOSIGNAL) != 1)
			break;
	}
	CHECK(ok && i >= 2 && i < 8);
	if (fd != -1)
		close(fd);
	/* a complete request is answered, the connection kept alive */
	fd = dial(port);
	CHECK(fd != -1);
	if (fd != -1) {
		CHECK(send(fd, req, strlen(req), 0) == (ssize_t)strlen(req));
		CHECK(recv(fd, buf, sizeof(buf) - 1, 0) > 12 &&
		    strncmp(buf, "HTTP/1.1 200", 12) == 0);
		close(fd);
	}
	server_stop(srv);
	cache_free(cache);
}

static void
test_bad_address(void)
{
	struct server_config sc;
	struct err err = { 0 };

	memset(&sc, 0, sizeof(sc));
	sc.host = "no-such-host.invalid";
	sc.port = 0;
	CHECK(server_start(&sc, &err) == NULL);
	CHECK(strstr(err.msg, "LISTEN_ADDRESS") != NULL);
}

/* Readers render while the writer publishes: no torn or freed snapshot. */
struct race {
	struct cache *cache;
	int rounds;
	int bad;
};

static void *
reader(void *arg)
{
	struct race *r = arg;
	struct snapshot *s;
	int i;

	for (i = 0; i < r->rounds; i++) {
		s = cache_acquire(r->cache);
		if (s != NULL && (s->values.len != 1 ||
		    s->values.v[0].value != (double)s->built_at))
			r->bad++;
		snapshot_release(s);
	}
	return NULL;
}

static void
test_snapshot_race(void)
{
	struct race r = { cache_new(), 20000, 0 };
	pthread_t t[3];
	struct samples s;
	int i;

	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, reader, &r);
	for (i = 1; i <= 5000; i++) {
		samples_init(&s);
		samples_add(&s, "fitbit_steps_total", 1, i, NULL);
		cache_publish(r.cache, snapshot_new(&s, i));
	}
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK(r.bad == 0);
	cache_free(r.cache);
}

void
suite_server(void)
{
	test_routes();
	test_request_deadline();
	test_bad_address();
	test_snapshot_race();
}
