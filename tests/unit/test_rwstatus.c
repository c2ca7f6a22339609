/*
 * rwstatus: the verdict for each answer of a remote-write receiver. The
 * 400 bodies are those of the real victoria-metrics (Debian 1.79.5),
 * recorded on 127.0.0.1 (see exporter/remote/rwstatus.c).
 */
#include <string.h>

#include "remote/rwstatus.h"
#include "t.h"

static void
test_classify(void)
{
	static const struct {
		long status;
		const char *body;
		enum rw_verdict want;
	} cases[] = {
		{ 200, "", RW_ACK },
		{ 204, "", RW_ACK },
		{ 0, "", RW_RETRY },
		{ 408, "", RW_RETRY },
		{ 429, "slow down", RW_RETRY },
		{ 500, "", RW_RETRY },
		{ 503, "", RW_RETRY },
		{ 413, "request entity too large", RW_TOO_BIG },
		{ 400, "remoteAddr: \"127.0.0.1:60356\"; requestURI: "
		    "/api/v1/write; too big packed request; mustn't exceed "
		    "`-maxInsertRequestSize=200` bytes", RW_TOO_BIG },
		{ 400, "remoteAddr: \"127.0.0.1:60322\"; requestURI: "
		    "/api/v1/wirte; unsupported path requested: "
		    "\"/api/v1/wirte\"", RW_REFUSED },
		{ 400, "remoteAddr: \"127.0.0.1:60340\"; requestURI: "
		    "/api/v1/write; cannot decompress request with length 2: "
		    "snappy: corrupt input", RW_REJECTED },
		{ 400, "out of bounds", RW_REJECTED },
		{ 400, "", RW_REJECTED },
		{ 401, "\n", RW_REFUSED },
		{ 403, "", RW_REFUSED },
		{ 404, "", RW_REFUSED },
		{ 405, "", RW_REFUSED },
		{ 301, "", RW_REFUSED },
		{ 418, "", RW_REFUSED },
		{ 100, "", RW_REFUSED },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(rwstatus_classify(cases[i].status, cases[i].body,
		    strlen(cases[i].body)) == cases[i].want);
	/* the body is bounded by len, NULs and all */
	CHECK(rwstatus_classify(400, "x\0unsupported path", 18) == RW_REFUSED);
	CHECK(rwstatus_classify(400, "unsupported path", 5) == RW_REJECTED);
	CHECK(rwstatus_classify(400, NULL, 0) == RW_REJECTED);
}

static void
test_hints(void)
{
	CHECK(rwstatus_problem(400) == RWSTATUS_PATH);
	CHECK(rwstatus_problem(401) == 401);
	CHECK(strcmp(rwstatus_hint(401), "VictoriaMetrics refuses our "
	    "writes: 401, check VICTORIA_USER/VICTORIA_PASSWORD") == 0);
	CHECK(strcmp(rwstatus_hint(RWSTATUS_PATH), "VictoriaMetrics refuses "
	    "our writes: 400 unsupported path, check the VICTORIA_ENDPOINT "
	    "path (/api/v1/write)") == 0);
	CHECK(strstr(rwstatus_hint(307), "redirect") != NULL);
	CHECK(strstr(rwstatus_hint(999), "VICTORIA_ENDPOINT") != NULL);
}

void
suite_rwstatus(void)
{
	test_classify();
	test_hints();
}
