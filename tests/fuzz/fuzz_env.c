/*
 * fuzz_env: the .env file (dotenv_parse).
 *
 * Input: the file's bytes. Beyond memory safety: every pair handed out
 * has a KEY of [A-Za-z_][A-Za-z0-9_]*; a failure names the line and one
 * of the fixed reasons, never anything of the line (it may be a secret).
 * A callback that fails stops the parse with "out of memory".
 */
#include "config/dotenv.h"
#include "fuzz.h"

struct seen {
	size_t lines;
	size_t pairs;
	size_t fail_at;		/* the pair whose set() fails; 0: none */
};

static int
set(void *arg, const char *key, const char *value)
{
	struct seen *s = arg;
	size_t i;

	FUZZ_CHECK(key[0] != '\0' && !(key[0] >= '0' && key[0] <= '9'));
	for (i = 0; key[i] != '\0'; i++)
		FUZZ_CHECK((key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_');
	(void)strlen(value);	/* terminated: ASan checks the read */
	s->pairs++;
	FUZZ_CHECK(s->pairs <= s->lines);
	return s->pairs == s->fail_at ? -1 : 0;
}

static void
check_failure(const struct err *err)
{
	static const char *const why[] = { "expected KEY=value",
	    "NUL byte in the line", "unterminated quote",
	    "unexpected text after the closing quote", "out of memory" };
	const char *p = err->msg;
	size_t i;

	fuzz_check_err(err);
	FUZZ_CHECK(strncmp(p, "line ", 5) == 0);
	p += 5;
	FUZZ_CHECK(*p >= '1' && *p <= '9');
	while (*p >= '0' && *p <= '9')
		p++;
	FUZZ_CHECK(p[0] == ':' && p[1] == ' ');
	for (i = 0; i < sizeof(why) / sizeof(*why); i++)
		if (strcmp(p + 2, why[i]) == 0)
			return;
	FUZZ_CHECK(!"a known reason");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { 0 };
	struct err err = { 0 };
	char *text;
	size_t i;
	int rc;

	if (size < 1)
		return 0;
	/* the first byte: which pair's set() fails (0, or >= 64: none) */
	seen.fail_at = data[0] < 64 ? data[0] : 0;
	text = fuzz_dup(data + 1, size - 1);
	seen.lines = 1;
	for (i = 0; i + 1 < size; i++)
		seen.lines += text[i] == '\n';
	rc = dotenv_parse(text, size - 1, set, &seen, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1)
		check_failure(&err);
	else
		FUZZ_CHECK(!err.set && (seen.fail_at == 0 ||
		    seen.pairs < seen.fail_at));
	free(text);
	return 0;
}
