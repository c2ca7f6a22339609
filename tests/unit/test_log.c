/*
 * log: logfmt shape, levels, quoting, and secrets that never get out.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "helpers.h"
#include "t.h"

static int saved_stderr = -1;

/* Log into path only: stderr goes to /dev/null until capture_end(). */
static void
capture_begin(const char *path)
{
	int devnull = open("/dev/null", O_WRONLY);

	saved_stderr = dup(STDERR_FILENO);
	dup2(devnull, STDERR_FILENO);
	close(devnull);
	CHECK(log_open_file(path) == 0);
	log_set_level(LOG_INFO);
}

/* Stop logging into the file; its text (caller frees). */
static char *
capture_end(const char *path)
{
	log_close();
	log_forget_secrets();
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	return t_slurp(path);
}

static void
test_levels_and_file(void)
{
	char *dir = t_tmpdir(), path[1024], *text;
	struct stat st;
	enum log_level l;

	CHECK(log_level_parse("debug", &l) == 0 && l == LOG_DEBUG);
	CHECK(log_level_parse("WARN", &l) == 0 && l == LOG_WARN);
	CHECK(log_level_parse("loud", &l) == -1);

	snprintf(path, sizeof(path), "%s/syncbit.log", dir);
	capture_begin(path);
	log_debug("hidden", NULL);
	log_info("sync done", "steps=%d", 8123);
	log_warn("odd value", "detail=%s", "x");
	log_add_secret("s3cr3t-token-value");
	log_error("refresh failed", "body=\"token s3cr3t-token-value echoed\"");
	text = capture_end(path);
	CHECK(strstr(text, "hidden") == NULL);
	CHECK(strstr(text, "level=info msg=\"sync done\" steps=8123\n") != NULL);
	CHECK(strstr(text, "level=warn msg=\"odd value\" detail=x\n") != NULL);
	CHECK(strstr(text, "s3cr3t-token-value") == NULL);
	CHECK(strstr(text, "[redacted]") != NULL);
	CHECK(strncmp(text, "ts=", 3) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(text);
	t_rmrf(dir);
	free(dir);
}

static void
test_quote(void)
{
	char buf[64];

	CHECK(strcmp(log_q(buf, sizeof(buf), "plain"), "plain") == 0);
	CHECK(strcmp(log_q(buf, sizeof(buf), "two words"), "\"two words\"") ==
	    0);
	CHECK(strcmp(log_q(buf, sizeof(buf), "a\"b"), "\"a\\\"b\"") == 0);
	CHECK(strcmp(log_q(buf, sizeof(buf), "l1\nl2"), "\"l1\\nl2\"") == 0);
	CHECK(strcmp(log_q(buf, sizeof(buf), ""), "\"\"") == 0);
}

/* 40 rotated tokens later, the pinned client secret is still scrubbed. */
static void
test_pinned_secret(void)
{
	char *dir = t_tmpdir(), path[1024], *text, tok[32];
	int i;

	snprintf(path, sizeof(path), "%s/syncbit.log", dir);
	capture_begin(path);
	log_pin_secret("client-secret-xyz");
	for (i = 0; i < 40; i++) {
		snprintf(tok, sizeof(tok), "rotated-token-%02d", i);
		log_add_secret(tok);
	}
	log_info("oops", "a=client-secret-xyz b=rotated-token-39");
	text = capture_end(path);
	CHECK(strstr(text, "client-secret-xyz") == NULL);
	CHECK(strstr(text, "rotated-token-39") == NULL);
	CHECK(strstr(text, "a=[redacted] b=[redacted]") != NULL);
	free(text);
	t_rmrf(dir);
	free(dir);
}

/* A short secret at the 4 KiB cap, where "[redacted]" cannot fit in:
 * the line is cut before the secret, never left holding it. */
static void
test_secret_at_the_cap(void)
{
	char *dir = t_tmpdir(), path[1024], *text, pad[5000];
	size_t n;

	snprintf(path, sizeof(path), "%s/syncbit.log", dir);
	for (n = 3950; n < 4100; n++) {
		unlink(path);		/* one line a file */
		capture_begin(path);
		log_pin_secret("pw1234");
		memset(pad, 'a', n);
		pad[n] = '\0';
		log_info("x", "pad=%s secret=pw1234 tail=z", pad);
		text = capture_end(path);
		if (strstr(text, "pw1234") != NULL)
			printf("# the secret stays with %zu bytes before it\n", n);
		CHECK(strstr(text, "pw1234") == NULL);
		free(text);
		log_forget_secrets();
	}
	t_rmrf(dir);
	free(dir);
}

/* The account a thread works for ends its lines, unless they name one. */
static void
test_account_of_the_thread(void)
{
	char *dir = t_tmpdir(), path[1024], *text;
	const char *prev;

	snprintf(path, sizeof(path), "%s/syncbit.log", dir);
	capture_begin(path);
	prev = log_set_user("alice");
	log_warn("scope not granted", "scope=sleep");
	log_warn("no fields", NULL);
	log_error("sync failed", "user=%s error=x", "bob");
	log_info("superuser=1 is no user", "superuser=1");
	log_set_user("a b");
	log_info("quoted", "k=v");
	CHECK(log_set_user(prev) != NULL);
	log_info("no account", "k=v");
	text = capture_end(path);
	CHECK(prev == NULL);
	CHECK(strstr(text, "msg=\"scope not granted\" scope=sleep user=alice\n")
	    != NULL);
	CHECK(strstr(text, "msg=\"no fields\" user=alice\n") != NULL);
	CHECK(strstr(text, "msg=\"sync failed\" user=bob error=x\n") != NULL);
	CHECK(strstr(text, "superuser=1 user=alice\n") != NULL);
	CHECK(strstr(text, "msg=quoted k=v user=\"a b\"\n") != NULL);
	CHECK(strstr(text, "msg=\"no account\" k=v\n") != NULL);
	free(text);
	t_rmrf(dir);
	free(dir);
}

void
suite_log(void)
{
	test_secret_at_the_cap();
	test_pinned_secret();
	test_levels_and_file();
	test_quote();
	test_account_of_the_thread();
}
