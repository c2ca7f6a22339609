/*
 * b64: base64url without padding (RFC 4648 section 5), for --authorize:
 * the OAuth state and the PKCE S256 challenge (auth/oauth_token.c). Standard
 * base64 is not needed: libcurl builds Basic headers. Pure; any thread.
 */
#ifndef SYNCBIT_B64_H
#define SYNCBIT_B64_H

#include <stddef.h>

/* Characters needed for n bytes, without padding and without the NUL. */
#define B64_URL_LEN(n)	(((n) * 4 + 2) / 3)

/* Encode len bytes into out (NUL-terminated). Returns 0, or -1 when size
 * is smaller than B64_URL_LEN(len) + 1 (out is then left empty). */
int b64_url_encode(const void *in, size_t len, char *out, size_t size);

#endif
