/*
 * fuzz_oauth: what SyncBit reads from an OAuth token endpoint and from its
 * token file: the success answer (oauth_tokens_from_json), the token file
 * (oauth_tokens_parse) and the error answer of a refused request
 * (error_name and refusal, static in oauth_token.c, hence the #include:
 * the Makefile links this target without oauth_token.o).
 *
 * Input: [mode] body...   mode % 6:
 *   0..2  token answer; the old refresh token is none, a short one, one
 *         too long for the struct;
 *   3     token file;
 *   4, 5  error answer of HTTP 400 / 401.
 *
 * Beyond memory safety: a failure leaves the struct wiped; no message
 * quotes a value (a value holding "s3cr3t" never reaches err.msg), except
 * the error answer's name, an identifier.
 */
#include "../../exporter/auth/oauth_token.c"

#include "fuzz.h"

#define NOW ((time_t)1795000000)
#define MARK "s3cr3t"

static void
check_tokens(const struct oauth_tokens *t, int rc, const struct err *err)
{
	static const struct oauth_tokens zero;

	if (rc == -1) {
		fuzz_check_err(err);
		FUZZ_CHECK(memcmp(t, &zero, sizeof(*t)) == 0);
		FUZZ_CHECK(err->kind == ERR_NONE || err->kind == ERR_AUTH);
		return;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(fuzz_terminated(t->access_token, sizeof(t->access_token)));
	FUZZ_CHECK(fuzz_terminated(t->refresh_token,
	    sizeof(t->refresh_token)));
	FUZZ_CHECK(fuzz_terminated(t->scope, sizeof(t->scope)));
	FUZZ_CHECK(fuzz_terminated(t->user_id, sizeof(t->user_id)));
	FUZZ_CHECK(t->access_token[0] != '\0');
	FUZZ_CHECK(t->refresh_token[0] != '\0');
}

static void
token_answer(int mode, const char *body, size_t len)
{
	static char longer[5000];
	const char *old[] = { NULL, "old-refresh-" MARK, longer };
	struct oauth_tokens t;
	struct err err = { 0 };
	int rc;

	if (longer[0] == '\0')
		memset(longer, 'r', sizeof(longer) - 1);
	memset(&t, 0x55, sizeof(t));
	rc = oauth_tokens_from_json(body, len, NOW, old[mode], &t, &err);
	check_tokens(&t, rc, &err);
	if (rc == 0) {
		FUZZ_CHECK(t.expires_at > NOW &&
		    t.expires_at <= NOW + EXPIRES_IN_MAX);
		if (mode == 2)	/* too long to keep: only a new one will do */
			FUZZ_CHECK(strcmp(t.refresh_token, longer) != 0);
	}
	FUZZ_CHECK(strstr(err.msg, MARK) == NULL);
	oauth_tokens_wipe(&t);
}

static void
token_file(const char *body, size_t len)
{
	struct oauth_tokens t;
	struct err err = { 0 };
	int rc;

	memset(&t, 0x55, sizeof(t));
	rc = oauth_tokens_parse("data/tokens.json", body, len, &t, &err);
	check_tokens(&t, rc, &err);
	if (rc == 0)
		FUZZ_CHECK(t.expires_at >= 0);
	FUZZ_CHECK(strstr(err.msg, MARK) == NULL);
	oauth_tokens_wipe(&t);
}

static void
error_answer(long status, const char *body, size_t len)
{
	static const struct oauth_provider prov = { .name = "fitbit" };
	enum oauth_refusal why = OAUTH_REFUSED_NONE;
	struct err err = { 0 };
	char name[64];

	memset(name, 0x55, sizeof(name));
	error_name(body, len, name, sizeof(name));
	FUZZ_CHECK(fuzz_ident(name, sizeof(name)));
	FUZZ_CHECK(refusal(&prov, status, name, &why, &err) == -1);
	fuzz_check_err(&err);
	FUZZ_CHECK(err.kind == ERR_AUTH);
	FUZZ_CHECK(why == OAUTH_REFUSED_GRANT || why == OAUTH_REFUSED_CLIENT ||
	    why == OAUTH_REFUSED_OTHER);
	/* the error's name is shown (an identifier), nothing else */
	FUZZ_CHECK(strstr(name, MARK) != NULL ||
	    strstr(err.msg, MARK) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0] % 6;
	body = fuzz_dup(data + 1, size - 1);
	if (mode <= 2)
		token_answer(mode, body, size - 1);
	else if (mode == 3)
		token_file(body, size - 1);
	else
		error_answer(mode == 4 ? 400 : 401, body, size - 1);
	free(body);
	return 0;
}
