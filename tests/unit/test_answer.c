/*
 * answer and jv_parse: what both sources' parsers share -- the one
 * "<what>: invalid JSON" of an answer that does not parse (or, for
 * Google, is not an object), the all-or-nothing end of a parser, and a
 * profile's time zone.
 */
#include <string.h>

#include "jsonv.h"
#include "source/answer.h"
#include "t.h"

static void
test_parse(void)
{
	struct err err = { 0 };
	cJSON *root;

	root = jv_parse("[1]", 3, 0, &err, "day '%s'", "2026-11-19");
	CHECK(cJSON_IsArray(root) && !err.set);
	cJSON_Delete(root);
	root = jv_parse("{\"a\":1}", 7, 1, &err, "settings");
	CHECK(cJSON_IsObject(root) && !err.set);
	cJSON_Delete(root);
	CHECK(jv_parse("{\"a\":", 5, 0, &err, "day '%s'", "2026-11-19") ==
	    NULL && err.set &&
	    strcmp(err.msg, "day '2026-11-19': invalid JSON") == 0);
	err_clear(&err);
	CHECK(jv_parse("[1]", 3, 1, &err, "'%s' rollup", "steps") == NULL &&
	    strcmp(err.msg, "'steps' rollup: invalid JSON") == 0);
	err_clear(&err);
	CHECK(jv_parse("", 0, 1, &err, "profile") == NULL &&
	    strcmp(err.msg, "profile: invalid JSON") == 0);
	err_clear(&err);
	/* the length bounds the text: "{}" of "{}x" */
	root = jv_parse("{}x", 2, 1, &err, "settings");
	CHECK(root != NULL && !err.set);
	cJSON_Delete(root);
}

static void
test_done(void)
{
	struct samples s;
	size_t base;

	samples_init(&s);
	CHECK(samples_add(&s, "a", 1, 1, NULL) == 0);
	base = s.len;
	CHECK(samples_add(&s, "b", 1, 2, NULL) == 0);
	CHECK(answer_done(0, cJSON_Parse("{}"), &s, base) == 0 && s.len == 2);
	CHECK(answer_done(-1, cJSON_Parse("[]"), &s, base) == -1 &&
	    s.len == 1 && strcmp(s.v[0].metric, "a") == 0);
	CHECK(answer_done(-1, NULL, &s, 0) == -1 && s.len == 0);
	samples_release(&s);
}

static void
test_zone(void)
{
	struct profile p = { .member_since = -1 };
	struct err err = { 0 };
	char longer[sizeof(p.zone) + 8];

	CHECK(answer_zone(&p, "Europe/Berlin", "none", "unknown", &err) == 0 &&
	    strcmp(p.zone, "Europe/Berlin") == 0 && !err.set);
	CHECK(answer_zone(&p, NULL, "x: no 'tz'", "unknown", &err) == -1 &&
	    strcmp(err.msg, "x: no 'tz'") == 0);
	err_clear(&err);
	CHECK(answer_zone(&p, "", "x: no 'tz'", "unknown", &err) == -1 &&
	    strcmp(err.msg, "x: no 'tz'") == 0);
	err_clear(&err);
	CHECK(answer_zone(&p, "Mars/Olympus", "none", "x: 100% unknown",
	    &err) == -1 && strcmp(err.msg, "x: 100% unknown") == 0);
	err_clear(&err);
	memset(longer, 'A', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CHECK(answer_zone(&p, longer, "none", "too long", &err) == -1 &&
	    strcmp(err.msg, "too long") == 0);
	/* kept on failure */
	CHECK(strcmp(p.zone, "Europe/Berlin") == 0);
}

void
suite_answer(void)
{
	test_parse();
	test_done();
	test_zone();
}
