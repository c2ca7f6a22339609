/*
 * rwstatus: remote-write answers -> verdicts and fixes (see rwstatus.h).
 *
 * What the real victoria-metrics (Debian 1.79.5, single node) answers,
 * measured on 127.0.0.1 with a temp -storageDataPath (the integration
 * tests in tests/integration/test_remote_write_vm.py run the same cases):
 *
 *   -httpAuth.* set, wrong or no password  401, body "\n",
 *                                          Www-Authenticate: Basic
 *   unknown path (/api/v1/wirte, /)        400 'remoteAddr: "..."; requestURI:
 *                                          /api/v1/wirte; unsupported path
 *                                          requested: "/api/v1/wirte"'
 *   body over -maxInsertRequestSize        400 '...; too big packed request;
 *                                          mustn't exceed
 *                                          `-maxInsertRequestSize=200` bytes'
 *   body that is no snappy                 400 '...; cannot decompress
 *                                          request with length 2: snappy:
 *                                          corrupt input'
 *
 * So a 400 is final only when it is about the samples: VM's "unsupported
 * path" is the URL, its "too big" the size of the request. Proxies in
 * front of it (vmauth, nginx) and vmagent/vminsert answer 401, 403, 404,
 * 405 and 413 with bodies of their own; those are never about the samples.
 */
#include <string.h>

#include "rwstatus.h"

/* needle in body[0..len) (the body may hold NULs). */
static int
has(const char *body, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (body == NULL || len < n)
		return 0;
	for (i = 0; i + n <= len; i++)
		if (memcmp(body + i, needle, n) == 0)
			return 1;
	return 0;
}

enum rw_verdict
rwstatus_classify(long status, const char *body, size_t len)
{
	if (status >= 200 && status < 300)
		return RW_ACK;
	if (status == 0 || status == 408 || status == 429 || status >= 500)
		return RW_RETRY;
	if (status == 413)
		return RW_TOO_BIG;
	if (status == 400) {
		if (has(body, len, "unsupported path"))
			return RW_REFUSED;
		if (has(body, len, "too big"))
			return RW_TOO_BIG;
		return RW_REJECTED;
	}
	return RW_REFUSED;	/* 1xx, 3xx (redirects are not followed), 4xx */
}

int
rwstatus_problem(long status)
{
	if (status == 400)
		return RWSTATUS_PATH;
	if (status < 0 || status > 999)
		return 999;
	return (int)status;
}

const char *
rwstatus_hint(int problem)
{
	switch (problem) {
	case 401:
		return "VictoriaMetrics refuses our writes: 401, "
		    "check VICTORIA_USER/VICTORIA_PASSWORD";
	case 403:
		return "VictoriaMetrics refuses our writes: 403, "
		    "check that VICTORIA_USER may write to VICTORIA_ENDPOINT";
	case 404:
		return "VictoriaMetrics refuses our writes: 404, "
		    "check the VICTORIA_ENDPOINT path (/api/v1/write)";
	case RWSTATUS_PATH:
		return "VictoriaMetrics refuses our writes: 400 unsupported "
		    "path, check the VICTORIA_ENDPOINT path (/api/v1/write)";
	case 405:
		return "VictoriaMetrics refuses our writes: 405, "
		    "VICTORIA_ENDPOINT is not a remote-write URL (/api/v1/write)";
	case RWSTATUS_SAMPLE:
		return "VictoriaMetrics refuses our writes: one sample is too "
		    "big for it, raise its -maxInsertRequestSize";
	default:
		break;
	}
	if (problem >= 300 && problem < 400)
		return "VictoriaMetrics refuses our writes: a redirect, "
		    "set VICTORIA_ENDPOINT to the final URL";
	return "VictoriaMetrics refuses our writes: see the log line with its "
	    "status, check VICTORIA_ENDPOINT";
}
