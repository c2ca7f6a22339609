/*
 * fuzz_callback: the query string of the OAuth redirect that --authorize
 * receives, from the browser or pasted on stdin (oauth_callback_parse).
 *
 * Input: [size] query...   the code buffer is 1 + size bytes (a real
 * caller gives 512); the expected state is STATE.
 *
 * Beyond memory safety: a code comes back only with exactly one state
 * equal to ours and one code that fits; errors are ERR_AUTH or 400, on
 * one printable line, and never quote the state or a code ("c0de").
 */
#include "fuzz.h"
#include "auth/oauth.h"

#define STATE "Zk3vQ9xLm2Pw7Rt5Yb8Nc4Hd6Jf1Gs0A"	/* 32 characters */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = { 0 };
	char *query, code[257];
	size_t csize, i;
	int rc;

	if (size < 1)
		return 0;
	csize = 1 + data[0];
	query = fuzz_strndup(data + 1, size - 1);
	memset(code, 0x55, sizeof(code));
	rc = oauth_callback_parse(query, STATE, code, csize, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(!err.set);
		FUZZ_CHECK(fuzz_terminated(code, csize));
		FUZZ_CHECK(code[0] != '\0');
	} else {
		fuzz_check_err(&err);
		FUZZ_CHECK(err.status == 400 || err.kind == ERR_AUTH);
		for (i = 0; err.msg[i] != '\0'; i++)
			FUZZ_CHECK(err.msg[i] >= ' ' && err.msg[i] <= '~');
		FUZZ_CHECK(strstr(err.msg, STATE) == NULL);
		FUZZ_CHECK(strstr(err.msg, "c0de") == NULL);
	}
	FUZZ_CHECK((unsigned char)code[csize] == 0x55);	/* within size */
	free(query);
	return 0;
}
