/*
 * metrics: SPEC's metric families (see metrics.h).
 */
#include "metrics.h"

static const struct metric_family fitbit_families[] = {
	{ "fitbit_steps_total", "counter",
	    "Steps of the day so far (user's local day; resets at local "
	    "midnight)." },
	{ "fitbit_distance_km", "gauge",
	    "Distance of the day so far, in kilometres." },
	{ "fitbit_calories_total", "counter",
	    "Calories burned in the day so far (kcal; resets at local "
	    "midnight)." },
	{ "fitbit_active_minutes", "gauge",
	    "Minutes of the day by activity level (type)." },
	{ "fitbit_floors_total", "counter",
	    "Floors climbed in the day so far (resets at local midnight)." },
	{ "fitbit_elevation_meters", "gauge",
	    "Elevation climbed in the day so far, in metres." },
	{ "fitbit_resting_heart_rate_bpm", "gauge",
	    "Resting heart rate of the day, in beats per minute." },
	{ "fitbit_heart_rate_zone_minutes", "gauge",
	    "Minutes of the day in each heart-rate zone (legacy zones: "
	    "out_of_range, fat_burn, cardio, peak; Google: light, moderate, "
	    "vigorous, peak)." },
	{ "fitbit_heart_rate_zone_calories", "gauge",
	    "Calories (kcal) burned in each heart-rate zone in the day." },
};

const struct metric_family *
metrics_fitbit(size_t *n)
{
	*n = sizeof(fitbit_families) / sizeof(fitbit_families[0]);
	return fitbit_families;
}
