/*
 * google_kinds: the Google source's data kinds (see google_kinds.h).
 */
#include <string.h>

#include "google.h"
#include "google_exercise.h"
#include "google_kinds.h"
#include "google_rollup.h"

const struct source_kind google_kinds[NKINDS] = {
	{ "steps", "activity", 90, KIND_IN_DAYS },
	{ "distance", "activity", 90, KIND_IN_DAYS },
	{ "floors", "activity", 90, KIND_IN_DAYS },
	{ "altitude", "activity", 90, KIND_IN_DAYS },
	{ RHR_TYPE, "heart", GOOGLE_RHR_MAX_DAYS, KIND_IN_DAYS },
	{ "activity-level", "activity", LEVEL_DAYS, KIND_IN_DAYS },
	{ "time-in-heart-rate-zone", "heart", 90, KIND_IN_DAYS },
	{ "total-calories", "activity", 14, KIND_IN_DAYS },
	{ "calories-in-heart-rate-zone", "heart", 14, KIND_IN_DAYS },
	[K_AZM] = { "active-zone-minutes", "azm", 90, 0 },
	[K_SLEEP] = { "sleep", "sleep", 365, KIND_WAKE },
	[K_SPO2] = { "daily-oxygen-saturation", "spo2", LIST_DAYS, KIND_WAKE },
	[K_HRV] = { "daily-heart-rate-variability", "hrv", LIST_DAYS,
	    KIND_WAKE },
	[K_BR] = { "daily-respiratory-rate", "breathing", LIST_DAYS,
	    KIND_WAKE },
	[K_TEMP] = { "daily-sleep-temperature-derivations", "temperature",
	    LIST_DAYS, KIND_WAKE },
	[K_VO2] = { "daily-vo2-max", "vo2max", LIST_DAYS, KIND_WAKE },
	[K_WEIGHT] = { "weight", "weight", LIST_DAYS, KIND_SLOW },
	[K_FAT] = { "body-fat", "weight", LIST_DAYS, KIND_SLOW },
	[K_EXERCISE] = { "exercise", "exercise", EXERCISE_DAYS, 0 },
	[K_DEVICES] = { "devices", "devices", 1, KIND_CURRENT },
	[K_HEART_MIN] = { "heart-rate-minutes", "intraday", MINUTE_DAYS,
	    KIND_INTRADAY },
	[K_STEPS_MIN] = { "steps-minutes", "intraday", MINUTE_DAYS,
	    KIND_INTRADAY },
};

const struct google_list google_lists[NKINDS] = {
	[K_LEVELS] = { SCOPE_ACTIVITY, "interval.civil_start_time",
	    GOOGLE_PAGE_SIZE },
	[K_SLEEP] = { SCOPE_SLEEP, "interval.civil_end_time", 25 },
	[K_SPO2] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_HRV] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_BR] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_TEMP] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_VO2] = { SCOPE_ACTIVITY, "date", GOOGLE_PAGE_SIZE },
	[K_WEIGHT] = { SCOPE_METRICS, "sample_time.civil_time",
	    GOOGLE_PAGE_SIZE },
	[K_FAT] = { SCOPE_METRICS, "sample_time.civil_time", GOOGLE_PAGE_SIZE },
	[K_EXERCISE] = { SCOPE_ACTIVITY, "interval.civil_start_time",
	    GOOGLE_EXERCISE_PAGE },
};

size_t
google_kind_of(const char *type)
{
	const struct source_kind *k = source_table_find(google_kinds, NKINDS,
	    sizeof(google_kinds[0]), type);

	return k != NULL ? (size_t)(k - google_kinds) : 0;
}
