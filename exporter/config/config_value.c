/*
 * config_value: the checks behind each variable and option of config.c
 * (config_value.h). Runs once at start-up, before any thread; pure.
 *
 * URLs go through libcurl's own parser (curl_url(), the one that later
 * reads them for every request, without CURLU_NON_SUPPORT_SCHEME), so a
 * URL accepted here is one curl can use; the checks on top are SyncBit's
 * own rules, and the refusals keep SyncBit's words.
 */
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "config_value.h"

#define NOT_HTTP	"is not an http:// or https:// URL"
#define HAS_SPACE	"contains a space or a control character"

const char *
config_value_shown(char *buf, size_t size, const char *v, int flags)
{
	size_t i, n = 0;

	if ((flags & CONFIG_VALUE_SECRET) || ((flags & CONFIG_VALUE_URL) &&
	    strchr(v, '@') != NULL))
		return flags & CONFIG_VALUE_URL ? "the URL" : "the value";
	buf[n++] = '\'';
	for (i = 0; v[i] != '\0' && n + 5 < size &&
	    i < CONFIG_VALUE_SHOWN_MAX; i++)
		buf[n++] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ?
		    '?' : v[i];
	if (v[i] != '\0') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

static int
has_space(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= 0x20 || *v == 0x7f)
			return 1;
	return 0;
}

/* What curl_url_set() refused, in the words of SyncBit's messages. */
static const char *
url_refusal(CURLUcode rc, const char *v)
{
	switch (rc) {
	case CURLUE_BAD_SCHEME:
	case CURLUE_UNSUPPORTED_SCHEME:
	case CURLUE_BAD_SLASHES:
	case CURLUE_BAD_FILE_URL:
		return NOT_HTTP;
	case CURLUE_NO_HOST:
		return "has no host";
	case CURLUE_BAD_PORT_NUMBER:
		return "has a bad port";
	case CURLUE_BAD_IPV6:
		return strchr(v, ']') == NULL ? "has no closing ']'" :
		    "has a bad IPv6 address";
	default:
		break;
	}
	if (has_space(v))
		return HAS_SPACE;
	return rc == CURLUE_BAD_HOSTNAME ? "has a bad host name" :
	    "is not a valid URL";
}

/* curl's host: names as written, IPv4 and IPv6 normalized ("127.1" is
 * "127.0.0.1", IPv6 keeps its brackets). */
static int
is_loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 ||
	    strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0;
}

/*
 * What curl accepts and SyncBit does not. curl mends "http:/h" and
 * "http:///h", but the text as written is what every request starts
 * with and what the provider compares a redirect URI with. A '#' starts
 * the fragment wherever it is, also an empty one, which curl drops.
 */
static const char *
url_rules(const char *v, const char *scheme, const char *host, int flags)
{
	size_t n = strlen(scheme);
	int https = strcmp(scheme, "https") == 0;

	if ((!https && strcmp(scheme, "http") != 0) ||
	    strncasecmp(v, scheme, n) != 0 || strncmp(v + n, "://", 3) != 0)
		return NOT_HTTP;
	if (v[n + 3] == '/')
		return "has no host";
	if (!(flags & CONFIG_VALUE_REDIRECT))
		return NULL;
	if (strchr(v, '#') != NULL)
		return "must not have a fragment ('#')";
	if (https && is_loopback(host))
		return "must use http:// on a loopback address (SyncBit "
		    "receives the callback itself)";
	return NULL;
}

int
config_value_url(const char *name, const char *v, int flags,
    struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE], *scheme = NULL, *host = NULL;
	const char *why;
	CURLUcode rc = CURLUE_OUT_OF_MEMORY;
	CURLU *u;

	if ((u = curl_url()) != NULL &&
	    (rc = curl_url_set(u, CURLUPART_URL, v, 0)) == CURLUE_OK &&
	    (rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) == CURLUE_OK)
		rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (rc == CURLUE_OK)
		why = url_rules(v, scheme, host, flags);
	else if (scheme != NULL)	/* a scheme without a host: file:/// */
		why = NOT_HTTP;
	else
		why = url_refusal(rc, v);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	if (rc == CURLUE_OUT_OF_MEMORY)
		return err_set(err, "out of memory");
	if (why != NULL)
		return err_set(err, "%s: %s %s", name, config_value_shown(b,
		    sizeof(b), v, flags | CONFIG_VALUE_URL), why);
	return 0;
}

/* Digits only, at most 5 of them, 0..65535. */
static int
port_parse(const char *s, int *port)
{
	size_t i, n = strlen(s);
	int p = 0;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		p = p * 10 + (s[i] - '0');
	}
	if (p > 65535)
		return -1;
	*port = p;
	return 0;
}

int
config_value_listen(const char *name, const char *v,
    char host[CONFIG_STR_MAX], int *port, struct err *err)
{
	const char *h = v, *colon;
	char b[CONFIG_VALUE_SHOWN_SIZE];
	size_t hlen;

	config_value_shown(b, sizeof(b), v, 0);
	if (v[0] == '[') {
		h = v + 1;
		colon = strchr(v, ']');
		if (colon == NULL || colon == h || colon[1] != ':')
			return err_set(err, "%s: %s is not [address]:port",
			    name, b);
		hlen = (size_t)(colon++ - h);
	} else {
		if ((colon = strrchr(v, ':')) == NULL)
			return err_set(err, "%s: %s is not host:port", name, b);
		if (memchr(v, ':', (size_t)(colon - v)) != NULL)
			return err_set(err, "%s: %s: write an IPv6 address as "
			    "[address]:port", name, b);
		hlen = (size_t)(colon - v);
	}
	if (port_parse(colon + 1, port) == -1)
		return err_set(err, "%s: %s: the port is not 0..65535", name,
		    b);
	if (hlen == 0)
		strcpy(host, "0.0.0.0");
	else {
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	return 0;
}

int
config_value_int(const char *name, const char *v, int lo, int hi,
    int *out, struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE];
	const char *c;
	long n = 0;

	config_value_shown(b, sizeof(b), v, 0);
	for (c = v; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return err_set(err, "%s: %s is not a whole number",
			    name, b);
		if (n <= hi)
			n = n * 10 + (*c - '0');
	}
	if (n < lo || n > hi)
		return err_set(err, "%s: %s is not between %d and %d", name, b,
		    lo, hi);
	*out = (int)n;
	return 0;
}

int
config_value_date(const char *name, const char *v, int32_t *day,
    struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE];

	if (civil_parse(v, day) == -1)
		return err_set(err, "%s: %s is not a date (YYYY-MM-DD)", name,
		    config_value_shown(b, sizeof(b), v, 0));
	return 0;
}

int
config_value_level(const char *name, const char *v, enum log_level *l,
    struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE];

	if (log_level_parse(v, l) == -1)
		return err_set(err, "%s: %s is not DEBUG, INFO, WARN or ERROR",
		    name, config_value_shown(b, sizeof(b), v, 0));
	return 0;
}
