/*
 * bench_rw: remote-write encoding throughput.
 *
 * One batch of RW_BATCH_SAMPLES samples shaped like SyncBit's traffic
 * (minute heart rate of a few days plus daily values with labels) is
 * encoded with rw_encode() (sort, protobuf pack, snappy) for about two
 * seconds; then snappy_compress() alone runs on the same uncompressed
 * protobuf bytes for about two seconds. Prints samples/s and MB/s.
 *
 *   build/bench_rw [seconds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snappy-c.h>

#include "remote/rw.h"
#include "sample.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const daily[] = {
	"fitbit_steps_total", "fitbit_distance_km", "fitbit_calories_total",
	"fitbit_floors_total", "fitbit_elevation_meters",
	"fitbit_resting_heart_rate_bpm", "fitbit_sleep_duration_seconds",
	"fitbit_sleep_efficiency_ratio", "fitbit_breathing_rate_per_minute",
	"fitbit_vo2max",
};
static const char *const zones[] = { "out_of_range", "fat_burn", "cardio",
	"peak" };

/* n samples: minute heart rate, then daily values, newest day first. */
static void
workload(struct samples *s, size_t n)
{
	int64_t t0 = 1764000000000LL;
	size_t i = 0, k;
	int32_t day = 20400;

	while (i < n * 4 / 5) {
		samples_add(s, "fitbit_heart_rate_bpm", day,
		    55 + (double)(i % 40), NULL);
		s->v[s->len - 1].ts_ms = t0 + (int64_t)i * 60000;
		i++;
	}
	while (i < n) {
		for (k = 0; k < sizeof(daily) / sizeof(daily[0]) && i < n;
		    k++, i++) {
			samples_add(s, daily[k], day, 1000.5 + (double)i, NULL);
			s->v[s->len - 1].ts_ms = t0 - (int64_t)(20400 - day) *
			    86400000;
		}
		for (k = 0; k < 4 && i < n; k++, i++) {
			samples_add(s, "fitbit_heart_rate_zone_minutes", day,
			    (double)(i % 90), "zone", zones[k], NULL);
			s->v[s->len - 1].ts_ms = t0 - (int64_t)(20400 - day) *
			    86400000;
		}
		day--;
	}
}

int
main(int argc, char **argv)
{
	struct samples s;
	struct err err = { 0 };
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t, el;
	uint8_t *z = NULL;
	char *pb, *out;
	size_t zlen, pblen, outlen, iters;

	if (secs <= 0)
		secs = 2.0;
	samples_init(&s);
	workload(&s, RW_BATCH_SAMPLES);

	/* encode + compress */
	iters = 0;
	t = now_s();
	do {
		free(z);
		z = NULL;
		if (rw_encode(s.v, s.len, "default", &z, &zlen, &err) == -1) {
			fprintf(stderr, "bench_rw: %s\n", err.msg);
			return 1;
		}
		iters++;
	} while ((el = now_s() - t) < secs);
	if (snappy_uncompressed_length((char *)z, zlen, &pblen) != SNAPPY_OK ||
	    (pb = malloc(pblen)) == NULL ||
	    snappy_uncompress((char *)z, zlen, pb, &pblen) != SNAPPY_OK) {
		fprintf(stderr, "bench_rw: cannot uncompress own output\n");
		return 1;
	}
	printf("batch: %zu samples, protobuf %zu bytes, snappy %zu bytes "
	    "(%.1f%%)\n", s.len, pblen, zlen, 100.0 * (double)zlen /
	    (double)pblen);
	printf("rw_encode (sort+pack+snappy): %.0f samples/s, %.1f MB/s of "
	    "protobuf, %.1f us/batch\n", (double)(iters * s.len) / el,
	    (double)(iters * pblen) / el / 1e6, el / (double)iters * 1e6);

	/* snappy alone on the same bytes */
	outlen = snappy_max_compressed_length(pblen);
	if ((out = malloc(outlen)) == NULL)
		return 1;
	iters = 0;
	t = now_s();
	do {
		outlen = snappy_max_compressed_length(pblen);
		if (snappy_compress(pb, pblen, out, &outlen) != SNAPPY_OK)
			return 1;
		iters++;
	} while ((el = now_s() - t) < secs);
	printf("snappy_compress alone:        %.0f samples/s, %.1f MB/s, "
	    "%.1f us/batch\n", (double)(iters * s.len) / el,
	    (double)(iters * pblen) / el / 1e6, el / (double)iters * 1e6);

	free(out);
	free(pb);
	free(z);
	samples_release(&s);
	return 0;
}
