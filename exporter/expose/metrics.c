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
	{ "fitbit_heart_rate_bpm", "gauge",
	    "Heart rate of the latest minute with data, in beats per minute "
	    "(average of the minute)." },
	{ "fitbit_intraday_steps", "gauge",
	    "Steps in the latest minute with data." },
	{ "fitbit_active_zone_minutes", "gauge",
	    "Active Zone Minutes of the day by zone (fat_burn, cardio, peak, "
	    "total; a cardio or peak minute counts twice)." },
	{ "fitbit_sleep_duration_seconds", "gauge",
	    "Time asleep in the main sleep of the latest night, in seconds." },
	{ "fitbit_sleep_stage_seconds", "gauge",
	    "Time in each sleep stage of the latest main sleep, in seconds "
	    "(deep, light, rem, wake; classic logs: asleep, restless, "
	    "awake)." },
	{ "fitbit_sleep_efficiency_ratio", "gauge",
	    "Time asleep / time in bed of the latest main sleep (0-1)." },
	{ "fitbit_sleep_stage_level", "gauge",
	    "Hypnogram: the stage of the latest main sleep's last stage "
	    "(0 deep, 1 light, 2 rem, 3 wake)." },
	{ "fitbit_spo2_percent", "gauge",
	    "Nightly blood oxygen saturation (SpO2), in percent (stat: avg, "
	    "min, max)." },
	{ "fitbit_hrv_rmssd_ms", "gauge",
	    "Heart-rate variability (RMSSD) of the latest night, in "
	    "milliseconds (period: daily, deep)." },
	{ "fitbit_breathing_rate_per_minute", "gauge",
	    "Breathing rate of the latest night, in breaths per minute." },
	{ "fitbit_skin_temperature_deviation_celsius", "gauge",
	    "Nightly skin temperature minus the personal baseline, in "
	    "degrees Celsius." },
	{ "fitbit_vo2max", "gauge",
	    "Cardio fitness (VO2 max), in ml/kg/min (a range's midpoint)." },
	{ "fitbit_weight_kg", "gauge",
	    "Latest weight logged, in kilograms." },
	{ "fitbit_body_fat_percent", "gauge",
	    "Latest body fat logged, in percent." },
	{ "fitbit_exercise_duration_seconds", "gauge",
	    "Active time of the latest workout of each activity, in seconds "
	    "(samples at the session's start)." },
	{ "fitbit_exercise_calories", "gauge",
	    "Calories (kcal) burned in the latest workout of each activity." },
	{ "fitbit_exercise_distance_km", "gauge",
	    "Distance of the latest workout of each activity, in kilometres." },
	{ "fitbit_exercise_steps", "gauge",
	    "Steps of the latest workout of each activity." },
	{ "fitbit_exercise_heart_rate_avg_bpm", "gauge",
	    "Average heart rate of the latest workout of each activity, in "
	    "beats per minute." },
	{ "fitbit_exercise_active_zone_minutes", "gauge",
	    "Active Zone Minutes of the latest workout of each activity." },
	{ "fitbit_exercise_heart_rate_zone_seconds", "gauge",
	    "Time in each heart-rate zone in the latest workout of each "
	    "activity, in seconds (zones as fitbit_heart_rate_zone_minutes)." },
	{ "fitbit_exercise_elevation_gain_meters", "gauge",
	    "Elevation gained in the latest workout of each activity, in "
	    "metres." },
	{ "fitbit_device_battery_percent", "gauge",
	    "Battery level of each paired device, in percent." },
	{ "fitbit_device_last_sync_timestamp_seconds", "gauge",
	    "When each paired device last synced (Unix time, seconds)." },
};

const struct metric_family *
metrics_fitbit(size_t *n)
{
	*n = sizeof(fitbit_families) / sizeof(fitbit_families[0]);
	return fitbit_families;
}
