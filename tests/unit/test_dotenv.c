/*
 * dotenv: the .env syntax (quotes, comments, "export ", CRLF), one exact
 * line per malformed line that never holds the line's text, and the file
 * reader's cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/dotenv.h"
#include "t.h"

#define SECRET "Sup3r-S3cret-Value!"

struct env_case {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *pairs;	/* "K=V|..." or NULL on error */
	const char *msg;
};

static int
collect(void *arg, const char *key, const char *value)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s=%s|", key, value);
	return 0;
}

static int
refuse(void *arg, const char *key, const char *value)
{
	(void)arg;
	(void)key;
	(void)value;
	return -1;
}

static void
test_parse_env(void)
{
	static const struct env_case cases[] = {
		{ "A=1\nB=2\n", 0, "A=1|B=2|", NULL },
		{ "A=1", 0, "A=1|", NULL },
		{ "A=1\r\nB=2\r\n", 0, "A=1|B=2|", NULL },
		{ "export A=1\nexport\tB=2\nexport=3\n", 0,
		    "A=1|B=2|export=3|", NULL },
		{ "  # comment\n\n\t\nA = x y   # trailing\n", 0, "A=x y|",
		    NULL },
		{ "A=x#y\nB=  #only a comment\nC=\n", 0, "A=x#y|B=|C=|", NULL },
		{ "A='a \"b\" #c \\n' # k\n", 0, "A=a \"b\" #c \\n|", NULL },
		{ "A=\"x\\\"y\\\\z\\nw\"\n", 0, "A=x\"y\\z\nw|", NULL },
		{ "A=\"a\\tb\"#c\nB=\"\"\n", 0, "A=a\\tb|B=|", NULL },
		{ "_a9=1\nLOWER_case=ok\n", 0, "_a9=1|LOWER_case=ok|", NULL },
		{ "A=1\nnot a pair\n", 0, NULL, "line 2: expected KEY=value" },
		{ "A=1\nB=\"open\nC=2\"\n", 0, NULL,
		    "line 2: unterminated quote" },
		{ "A='x' y\n", 0, NULL,
		    "line 1: unexpected text after the closing quote" },
		{ "1A=2\n", 0, NULL, "line 1: expected KEY=value" },
		{ "=x\n", 0, NULL, "line 1: expected KEY=value" },
		{ "A-B=x\n", 0, NULL, "line 1: expected KEY=value" },
		{ "export A\n", 0, NULL, "line 1: expected KEY=value" },
		{ "A=1\n\n\nB=x\0y\n", 12, NULL,
		    "line 4: NUL byte in the line" },
		{ "\n\n" SECRET "\n", 0, NULL, "line 3: expected KEY=value" },
		{ "S=\"" SECRET "\n", 0, NULL, "line 1: unterminated quote" },
	};
	const struct env_case *c;
	struct err err;
	char out[512];
	int rc;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		out[0] = '\0';
		err_clear(&err);
		rc = dotenv_parse(c->text, c->len ? c->len :
		    strlen(c->text), collect, out, &err);
		if (c->pairs != NULL) {
			CHECK(rc == 0);
			CHECK(strcmp(out, c->pairs) == 0);
		} else {
			CHECK(rc == -1);
			CHECK(strcmp(err.msg, c->msg) == 0);
			CHECK(strstr(err.msg, SECRET) == NULL);
		}
	}
	err_clear(&err);
	CHECK(dotenv_parse("# c\nA=1\n", 8, refuse, NULL, &err) == -1);
	CHECK(strcmp(err.msg, "line 2: out of memory") == 0);
	err_clear(&err);
	CHECK(dotenv_parse("", 0, refuse, NULL, &err) == 0);
}

/* dotenv_read() over a temporary file holding n bytes of text ('#' when
 * text is NULL); the pairs land in out. */
static int
read_file(const char *text, size_t n, char *out, struct err *err)
{
	FILE *f = tmpfile();
	size_t i;
	int rc;

	if (f == NULL) {
		perror("tmpfile");
		exit(2);
	}
	for (i = 0; i < n; i++)
		fputc(text != NULL ? text[i] : '#', f);
	rewind(f);
	out[0] = '\0';
	err_clear(err);
	rc = dotenv_read(f, "x.env", collect, out, err);
	fclose(f);
	return rc;
}

/* The reader: a file's pairs, its errors named, and the cap. */
static void
test_read(void)
{
	struct err err;
	char out[512];

	CHECK(read_file("A=1\nB='two'\n", 12, out, &err) == 0);
	CHECK(strcmp(out, "A=1|B=two|") == 0);
	CHECK(read_file("A=\"" SECRET "\n", 23, out, &err) == -1);
	CHECK(strcmp(err.msg, "'x.env' line 1: unterminated quote") == 0);
	CHECK(read_file(NULL, DOTENV_FILE_MAX, out, &err) == 0);
	CHECK(read_file(NULL, DOTENV_FILE_MAX + 1, out, &err) == -1);
	CHECK(strcmp(err.msg, "'x.env' is larger than 1048576 bytes") == 0);
}

void
suite_dotenv(void)
{
	test_parse_env();
	test_read();
}
