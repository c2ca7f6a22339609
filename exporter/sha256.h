/*
 * sha256: SHA-256 (FIPS 180-4). Its two users are both in auth/: the PKCE
 * S256 challenge (oauth_pkce_challenge) and the digest of the token file,
 * by which the running service sees that the file changed on disk (a new
 * --authorize) and skips re-parsing it when it did not (oauth.c,
 * oauth_tokens_write). No keyed hash, no constant-time promise: nothing
 * here protects a secret. SyncBit calls no crypto library itself:
 * libcurl's TLS backend is its own business, and one hash is not worth
 * tying the build to it. Any thread; no shared state.
 */
#ifndef SYNCBIT_SHA256_H
#define SYNCBIT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;		/* total length hashed so far */
	uint8_t buf[64];	/* a partial block */
	size_t n;		/* bytes in buf */
};

/* The streaming form: sha256_digest() is built on it, and the tests feed
 * it FIPS vectors in pieces. */
void sha256_init(struct sha256 *);
void sha256_update(struct sha256 *, const void *data, size_t len);
/* Writes the digest and wipes the context (it may have hashed a secret). */
void sha256_final(struct sha256 *, uint8_t out[SHA256_LEN]);
/* One call: digest of data. */
void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
