/*
 * fuzz_tzif: a zone's TZif file (tzif_parse), then offsets at instants
 * across and far beyond its table.
 *
 * Input: the file's bytes. Beyond memory safety: a failed parse hands out
 * no zone and says why in one line; a parsed zone gives every instant,
 * even INT64_MIN/MAX, an offset within -25 h..+26 h, and
 * civil-style arithmetic on it never overflows.
 */
#include "fuzz.h"
#include "tzif.h"

static const int64_t instants[] = { INT64_MIN, -((int64_t)1 << 40) - 1,
    -2208988800LL, -1, 0, 1, 68256000, 1792969199, 2147483647LL,
    2147483648LL, 4102444800LL, (int64_t)1 << 40, INT64_MAX };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = { 0 };
	struct tzif *z = NULL;
	size_t i;
	long off;
	int64_t t;

	if (tzif_parse(data, size, &z, &err) == -1) {
		FUZZ_CHECK(z == NULL && err.set && err.msg[0] != '\0');
		FUZZ_CHECK(strchr(err.msg, '\n') == NULL);
		return 0;
	}
	FUZZ_CHECK(z != NULL);
	for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
		off = tzif_offset(z, instants[i]);
		FUZZ_CHECK(off > -25 * 3600L && off < 26 * 3600L);
	}
	for (t = -86400LL * 365; t < 86400LL * 365 * 80; t += 86400 * 29 + 3607) {
		off = tzif_offset(z, t);
		FUZZ_CHECK(off > -25 * 3600L && off < 26 * 3600L);
	}
	tzif_free(z);
	return 0;
}
