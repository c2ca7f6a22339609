/*
 * config_value: one configuration value checked and converted, for
 * config.c: URLs (libcurl's URL parser), host:port, whole numbers in a
 * range, dates and log levels; and a value quoted for a message.
 *
 * Pure functions: no I/O, no state. Every failure is one line "NAME:
 * 'value' what is wrong" in err; a value flagged CONFIG_VALUE_SECRET,
 * and a URL holding '@' (user:password), are never quoted. Not for other
 * modules: they read struct config (config.h).
 */
#ifndef SYNCBIT_CONFIG_VALUE_H
#define SYNCBIT_CONFIG_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "log.h"

/* flags */
#define CONFIG_VALUE_SECRET	0x01	/* never quote the value */
#define CONFIG_VALUE_URL	0x02	/* http(s) with a host */
#define CONFIG_VALUE_REDIRECT	0x04	/* redirect URI, see _url */

/* at most SHOWN_MAX bytes of a value are quoted, in a SHOWN_SIZE buffer */
#define CONFIG_VALUE_SHOWN_MAX	64
#define CONFIG_VALUE_SHOWN_SIZE	(CONFIG_VALUE_SHOWN_MAX + 8)

/*
 * v for a message, in buf (CONFIG_VALUE_SHOWN_SIZE bytes suffice): 'v' on
 * one printable line (control characters as '?', cut to SHOWN_MAX bytes
 * with "..."), or "the value" / "the URL" when flags say it may hold a
 * secret. Returns buf or the phrase.
 */
const char *config_value_shown(char *buf, size_t size, const char *v,
    int flags);

/*
 * v must be an http:// or https:// URL with a host, as curl_url() reads
 * it (an optional user:password@, a port 0..65535, an IPv6 literal in
 * [], no space or control character), written with exactly two slashes
 * after the scheme. With CONFIG_VALUE_REDIRECT also: no fragment ('#'),
 * and http:// on a loopback host (SyncBit receives that callback itself).
 */
int config_value_url(const char *name, const char *v, int flags,
    struct err *);

/* "host:port", "[v6]:port" or ":port" (host "0.0.0.0"); host is without
 * the brackets and fits when strlen(v) < CONFIG_STR_MAX. */
int config_value_listen(const char *name, const char *v,
    char host[CONFIG_STR_MAX], int *port, struct err *);

/* Decimal digits only, lo..hi. */
int config_value_int(const char *name, const char *v, int lo, int hi,
    int *out, struct err *);

/* YYYY-MM-DD (civil_parse) -> a civil day. */
int config_value_date(const char *name, const char *v, int32_t *day,
    struct err *);

/* DEBUG, INFO, WARN or ERROR, any case (log_level_parse). */
int config_value_level(const char *name, const char *v, enum log_level *,
    struct err *);

#endif
