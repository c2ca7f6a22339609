#!/bin/sh
# (Re)write the seed inputs of every fuzz target from tests/fixtures/ and
# a few hand-written shapes: tests/fuzz/corpus/NAME/seed-*. Other files of
# a corpus (what fuzzing found, merged in by `fuzz.sh merge`) are kept;
# --reset removes them first.
#
# The selector bytes below follow the parser tables at the top of each
# fuzz_NAME.c: change both together.
set -eu
cd "$(dirname "$0")/../.." || exit 2
fx=tests/fixtures
out=tests/fuzz/corpus
STATE=Zk3vQ9xLm2Pw7Rt5Yb8Nc4Hd6Jf1Gs0A	# fuzz_callback.c's STATE

if [ "${1:-}" = "--reset" ]; then
	rm -rf "$out"
fi
for t in fitbit_json google_json exercise tcx oauth callback state env config tzif; do
	mkdir -p "$out/$t"
	rm -f "$out/$t"/seed-*
done

# bytes N... -> those bytes on stdout
bytes() {
	for b in "$@"; do
		# shellcheck disable=SC2059
		printf "\\$(printf %03o "$b")"
	done
}

# target name header-bytes... < body: one seed
seed() {
	t=$1
	n=$2
	shift 2
	{ bytes "$@"; cat; } >"$out/$t/seed-$n"
}

# A wide range: 2026-11-11 .. 2026-12-26 (see fuzz_fitbit_json.c).
R=248

# --- fitbit_json: parser byte, range byte, JSON ---
fitbit_sel() {
	case $1 in
	fitbit_profile*) echo 0 ;;
	fitbit_day*) echo 1 ;;
	fitbit_series_steps* | fitbit_series_bad* | fitbit_series_empty* | \
	    fitbit_series_not_list* | fitbit_series_wrong_key*) echo 2 ;;
	fitbit_series_distance*) echo 3 ;;
	fitbit_series_calories*) echo 4 ;;
	fitbit_series_floors*) echo 5 ;;
	fitbit_series_elevation*) echo 6 ;;
	fitbit_series_sedentary*) echo 7 ;;
	fitbit_series_lightly*) echo 8 ;;
	fitbit_series_fairly*) echo 9 ;;
	fitbit_series_very_active*) echo 10 ;;
	fitbit_heart_intraday* | fitbit_intraday_heart*) echo 13 ;;
	fitbit_steps_intraday* | fitbit_intraday_steps*) echo 14 ;;
	fitbit_heart*) echo 11 ;;
	fitbit_error* | fitbit_html* | fitbit_malformed* | \
	    fitbit_truncated*) echo 12 ;;
	fitbit_sleep*) echo 15 ;;
	fitbit_spo2*) echo 16 ;;
	fitbit_hrv*) echo 17 ;;
	fitbit_br* | fitbit_breathing*) echo 18 ;;
	fitbit_temp* | fitbit_skin*) echo 19 ;;
	fitbit_vo2* | fitbit_cardio*) echo 20 ;;
	fitbit_azm* | fitbit_active_zone*) echo 21 ;;
	fitbit_weight*) echo 22 ;;
	fitbit_fat* | fitbit_body_fat*) echo 23 ;;
	fitbit_devices*) echo 24 ;;
	*) echo "" ;;
	esac
}
for f in "$fx"/fitbit_*.json; do
	n=${f##*/}
	case $n in fitbit_exercise*) continue ;; esac	# the exercise target
	s=$(fitbit_sel "${n%.json}")
	[ -n "$s" ] || { echo "seed: no fitbit parser for $n" >&2; continue; }
	seed fitbit_json "$n" "$s" $R <"$f"
done
# series answers also through the other series resources' parsers
for r in 3 4 5 6 7 8 9 10; do
	sed 's/activities-steps/activities-'"$(echo "steps distance calories \
floors elevation minutesSedentary minutesLightlyActive \
minutesFairlyActive minutesVeryActive" | cut -d' ' -f$((r - 1)))"'/' \
	    "$fx/fitbit_series_steps.json" | seed fitbit_json "series-$r" "$r" $R
done
# a second page after a NUL
{ cat "$fx/fitbit_series_steps.json"; bytes 0; cat "$fx/fitbit_series_steps.json"; } |
    seed fitbit_json two-pages 2 $R
printf '46' | seed fitbit_json vo2-46 25 0
printf '44-48' | seed fitbit_json vo2-range 25 0
printf '44.5' | seed fitbit_json vo2-fraction 25 0
# the fitbit_parse.h shapes (until fixtures exist)
printf '%s' '{"activities-heart":[{"dateTime":"2026-11-11","value":{"restingHeartRate":61}}],"activities-heart-intraday":{"dataset":[{"time":"00:00:00","value":64},{"time":"23:59:00","value":"70"}],"datasetInterval":1,"datasetType":"minute"}}' |
    seed fitbit_json shape-intraday-heart 13 $R
printf '%s' '{"activities-steps":[{"dateTime":"2026-11-11","value":"0"}],"activities-steps-intraday":{"dataset":[{"time":"08:01:00","value":12},{"time":"08:02:00","value":0}],"datasetInterval":1,"datasetType":"minute"}}' |
    seed fitbit_json shape-intraday-steps 14 $R
printf '%s' '{"activities-steps":[{"dateTime":"2026-11-11","value":"5"}]}' |
    seed fitbit_json shape-no-intraday 14 $R
printf '%s' '{"sleep":[{"dateOfSleep":"2026-11-19","duration":27360000,"efficiency":93,"isMainSleep":true,"levels":{"data":[{"dateTime":"2026-11-18T23:10:30.000","level":"wake","seconds":60},{"dateTime":"2026-11-18T23:11:30.000","level":"light","seconds":1800},{"dateTime":"2026-11-18T23:41:30.000","level":"deep","seconds":3600},{"dateTime":"2026-11-19T00:41:30.000","level":"rem","seconds":900}],"summary":{"deep":{"count":3,"minutes":70},"light":{"count":20,"minutes":250},"rem":{"count":5,"minutes":90},"wake":{"count":20,"minutes":46}}},"minutesAsleep":410,"startTime":"2026-11-18T23:10:30.000","type":"stages"},{"dateOfSleep":"2026-11-20","isMainSleep":false,"minutesAsleep":"35","efficiency":80,"levels":{"summary":{"asleep":{"minutes":30},"restless":{"minutes":3},"awake":{"minutes":2}}},"type":"classic"}]}' |
    seed fitbit_json shape-sleep 15 $R
printf '%s' '[{"dateTime":"2026-11-19","value":{"avg":95.7,"min":"92.1","max":99}},{"dateTime":"2026-11-20","value":{"avg":96}}]' |
    seed fitbit_json shape-spo2 16 $R
printf '%s' '{"dateTime":"2026-11-19","value":{"avg":95.7,"min":92.1,"max":99.0}}' |
    seed fitbit_json shape-spo2-one 16 $R
printf '%s' '{"hrv":[{"dateTime":"2026-11-19","value":{"dailyRmssd":34.5,"deepRmssd":"30.1"}}]}' |
    seed fitbit_json shape-hrv 17 $R
printf '%s' '{"br":[{"dateTime":"2026-11-19","value":{"breathingRate":15.2}}]}' |
    seed fitbit_json shape-br 18 $R
printf '%s' '{"tempSkin":[{"dateTime":"2026-11-19","value":{"nightlyRelative":-0.4}},{"dateTime":"2026-11-20","value":{"nightlyRelative":"0.7"}}],"logType":"dedicated_temp_sensor"}' |
    seed fitbit_json shape-temp 19 $R
printf '%s' '{"cardioScore":[{"dateTime":"2026-11-19","value":{"vo2Max":"44-48"}},{"dateTime":"2026-11-20","value":{"vo2Max":46.5}}]}' |
    seed fitbit_json shape-vo2 20 $R
printf '%s' '{"activities-active-zone-minutes":[{"dateTime":"2026-11-19","value":{"activeZoneMinutes":30,"fatBurnActiveZoneMinutes":20,"cardioActiveZoneMinutes":8,"peakActiveZoneMinutes":2}},{"dateTime":"2026-11-20","value":{"activeZoneMinutes":5}}]}' |
    seed fitbit_json shape-azm 21 $R
printf '%s' '{"weight":[{"bmi":23.5,"date":"2026-11-19","logId":1,"source":"Aria","time":"07:01:02","weight":72.5},{"date":"2026-11-19","time":"21:00:00","weight":"73.1"}]}' |
    seed fitbit_json shape-weight 22 $R
printf '%s' '{"fat":[{"date":"2026-11-19","fat":21.4,"logId":1,"source":"Aria","time":"07:01:02"}]}' |
    seed fitbit_json shape-fat 23 $R
printf '%s' '[{"battery":"High","batteryLevel":88,"deviceVersion":"Charge 6","id":"2512345678","lastSyncTime":"2026-11-19T08:12:34.000","type":"TRACKER"},{"battery":"Medium","deviceVersion":"Charge 6","id":"2598765432","lastSyncTime":"2026-11-18T20:00:00.000","type":"TRACKER"},{"battery":"High","deviceVersion":"Aria Air","id":"1","lastSyncTime":"2026-11-19T07:01:02.000","type":"SCALE"}]' |
    seed fitbit_json shape-devices 24 $R
# extremes: the largest finite values, for the fuzzer to add up or scale
printf '%s' '{"sleep":[{"dateOfSleep":"2026-11-19","isMainSleep":true,"minutesAsleep":1e306,"efficiency":100,"levels":{"summary":{"deep":{"minutes":"1e306"}}},"type":"stages"}]}' |
    seed fitbit_json extreme-sleep 15 $R
printf '%s' '[{"batteryLevel":100,"deviceVersion":"Charge 6","id":"1","lastSyncTime":"1970-01-01T01:00:00.000","type":"TRACKER"}]' |
    seed fitbit_json extreme-devices 24 $R

# --- google_json: parser byte, range byte, JSON ---
google_sel() {
	case $1 in
	google_error*) echo 0 ;;
	google_settings*) echo 1 ;;
	google_profile*) echo 2 ;;
	google_rollup_steps* | google_rollup_bad_count* | google_rollup_empty* | \
	    google_rollup_no_date* | google_rollup_not_list* | \
	    google_rollup_truncated*) echo 3 ;;
	google_rollup_distance*) echo 4 ;;
	google_rollup_floors*) echo 5 ;;
	google_rollup_altitude*) echo 6 ;;
	google_activity_level*) echo 7 ;;
	google_rollup_time_in_zone* | google_rollup_bad_duration*) echo 8 ;;
	google_rollup_total_calories*) echo 9 ;;
	google_rollup_calories_in_zone*) echo 10 ;;
	google_rollup_active_zone* | google_rollup_azm*) echo 11 ;;
	google_rhr*) echo 13 ;;
	google_minutes_heart* | google_heart_minutes*) echo 14 ;;
	google_minutes_steps* | google_steps_minutes*) echo 15 ;;
	google_sleep*) echo 16 ;;
	google_spo2* | google_oxygen*) echo 17 ;;
	google_hrv*) echo 18 ;;
	google_br* | google_respiratory*) echo 19 ;;
	google_temp*) echo 20 ;;
	google_vo2*) echo 21 ;;
	google_weight*) echo 23 ;;
	google_fat* | google_body_fat*) echo 24 ;;
	google_devices* | google_paired*) echo 26 ;;
	*) echo "" ;;
	esac
}
for f in "$fx"/google_*.json; do
	n=${f##*/}
	case $n in google_exercise*) continue ;; esac	# the exercise target
	s=$(google_sel "${n%.json}")
	[ -n "$s" ] || { echo "seed: no google parser for $n" >&2; continue; }
	# the status parser reads its HTTP status from the range byte: 2, 403
	if [ "$s" = 0 ]; then r=2; else r=$R; fi
	seed google_json "$n" "$s" $r <"$f"
done
{ cat "$fx/google_rhr_page1.json"; bytes 0; cat "$fx/google_rhr_page3.json"; } |
    seed google_json rhr-two-pages 13 $R
# activity levels: an interval across a midnight, a second page
printf '%s' '{"dataPoints":[{"activityLevel":{"interval":{"startTime":"2026-11-19T22:30:00Z","startUtcOffset":"3600s","endTime":"2026-11-19T23:30:00Z","endUtcOffset":"3600s"},"activityLevelType":"VERY_ACTIVE"}},{"activityLevel":{"interval":{"startTime":"2026-11-19T08:00:00Z","endTime":"2026-11-19T08:45:00Z"},"activityLevelType":"SEDENTARY"}}],"nextPageToken":"p2"}' |
    { cat; bytes 0; printf '%s' '{"dataPoints":[{"activityLevel":{"interval":{"startTime":"2026-11-18T10:00:00Z","endTime":"2026-11-18T10:30:00.5Z"},"activityLevelType":"LIGHTLY_ACTIVE"}}]}'; } |
    seed google_json levels-two-pages 7 $R
for d in 3600s 1.5s 0s 86400.25s; do
	printf '%s' "$d" | seed google_json "duration-$d" 27 0
done
for t in 2026-11-27T08:15:00Z 2026-11-27T08:15:00.5Z \
    2026-11-27T08:15:00+01:00 2026-11-27T08:15:00.123456789-05:30; do
	printf '%s' "$t" | seed google_json "time-$t" 28 0
done
# the google_parse.h shapes (until fixtures exist)
printf '%s' '{"rollupDataPoints":[{"startTime":"2026-11-19T00:00:00Z","endTime":"2026-11-19T00:01:00Z","heartRate":{"beatsPerMinuteAvg":64.5,"beatsPerMinuteMin":60,"beatsPerMinuteMax":70}},{"startTime":"2026-11-19T00:01:00Z","endTime":"2026-11-19T00:02:00Z"}],"nextPageToken":"p2"}' |
    seed google_json shape-minutes-heart 14 $R
printf '%s' '{"rollupDataPoints":[{"startTime":"2026-11-19T08:01:00Z","endTime":"2026-11-19T08:02:00Z","steps":{"countSum":"12"}}]}' |
    seed google_json shape-minutes-steps 15 $R
printf '%s' '{"dataPoints":[{"name":"users/me/dataTypes/sleep/dataPoints/1","sleep":{"interval":{"startTime":"2026-11-18T22:10:30Z","startUtcOffset":"3600s","endTime":"2026-11-19T06:00:00Z","endUtcOffset":"3600s"},"type":"STAGES","stages":[{"startTime":"2026-11-18T22:10:30Z","endTime":"2026-11-18T22:40:30Z","type":"LIGHT"},{"startTime":"2026-11-18T22:40:30Z","endTime":"2026-11-18T23:40:30Z","type":"DEEP"},{"startTime":"2026-11-18T23:40:30Z","endTime":"2026-11-19T00:00:00Z","type":"REM"},{"startTime":"2026-11-19T00:00:00Z","endTime":"2026-11-19T00:05:00Z","type":"AWAKE"}],"summary":{"minutesAsleep":"410","minutesAwake":"25","minutesInSleepPeriod":"470","stagesSummary":[{"type":"DEEP","minutes":"70","count":"3"},{"type":"LIGHT","minutes":"250"},{"type":"REM","minutes":"90"},{"type":"AWAKE","minutes":"25"}]},"metadata":{"nap":false}}},{"sleep":{"interval":{"startTime":"2026-11-19T13:00:00Z","endTime":"2026-11-19T13:30:00Z","endUtcOffset":"3600s"},"type":"CLASSIC","summary":{"minutesAsleep":"28","minutesInSleepPeriod":"30","stagesSummary":[{"type":"ASLEEP","minutes":"28"},{"type":"RESTLESS","minutes":"1"},{"type":"AWAKE","minutes":"1"}]},"metadata":{"nap":true}}}],"nextPageToken":"next-page"}' |
    seed google_json shape-sleep 16 $R
printf '%s' '{"dataPoints":[{"dailyOxygenSaturation":{"date":{"year":2026,"month":11,"day":19},"averagePercentage":95.5,"lowerBoundPercentage":"92","upperBoundPercentage":99}}]}' |
    seed google_json shape-spo2 17 $R
printf '%s' '{"dataPoints":[{"dailyHeartRateVariability":{"date":{"year":2026,"month":11,"day":19},"averageHeartRateVariabilityMilliseconds":34.5,"deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds":30.1}}]}' |
    seed google_json shape-hrv 18 $R
printf '%s' '{"dataPoints":[{"dailyRespiratoryRate":{"date":{"year":2026,"month":11,"day":19},"breathsPerMinute":15.2}}]}' |
    seed google_json shape-br 19 $R
printf '%s' '{"dataPoints":[{"dailySleepTemperatureDerivations":{"date":{"year":2026,"month":11,"day":19},"nightlyTemperatureCelsius":34.1,"baselineTemperatureCelsius":34.5}}]}' |
    seed google_json shape-temp 20 $R
printf '%s' '{"dataPoints":[{"dailyVo2Max":{"date":{"year":2026,"month":11,"day":19},"vo2Max":46.5}}]}' |
    seed google_json shape-vo2 21 $R
printf '%s' '{"dataPoints":[{"dailyRestingHeartRate":{"date":{"year":2026,"month":11,"day":19},"beatsPerMinute":"61"}}]}' |
    seed google_json shape-rhr-list 22 $R
printf '%s' '{"dataPoints":[{"weight":{"sampleTime":{"physicalTime":"2026-11-19T06:01:02Z","utcOffset":"3600s","civilTime":{"date":{"year":2026,"month":11,"day":19},"time":{"hours":7,"minutes":1}}},"weightGrams":72500}},{"weight":{"sampleTime":{"physicalTime":"2026-11-20T23:30:00Z","utcOffset":"3600s"},"weightGrams":"73100"}}]}' |
    seed google_json shape-weight 23 $R
printf '%s' '{"dataPoints":[{"bodyFat":{"sampleTime":{"physicalTime":"2026-11-19T06:01:02Z","utcOffset":"3600s"},"percentage":21.4}}]}' |
    seed google_json shape-fat 24 $R
printf '%s' '{"pairedDevices":[{"name":"users/me/pairedDevices/abcd1234","deviceVersion":"Pixel Watch 3","deviceType":"WATCH","batteryLevel":81,"lastSyncTime":"2026-11-19T08:12:34Z"},{"name":"users/me/pairedDevices/ef567890","deviceVersion":"Pixel Watch 3","deviceType":"WATCH","lastSyncTime":"2026-11-19T08:00:00.5Z"}]}' |
    seed google_json shape-devices 26 $R

printf '%s' '{"rollupDataPoints":[{"civilStartTime":{"date":{"year":2026,"month":11,"day":19}},"caloriesInHeartRateZone":{"caloriesInHeartRateZones":[{"heartRateZone":"LIGHT","kcal":1.7e308},{"heartRateZone":"PEAK","kcal":"1e308"}]}}]}' |
    seed google_json extreme-rollup-zones 10 $R
printf '%s' '{"rollupDataPoints":[{"civilStartTime":{"date":{"year":2026,"month":11,"day":19}},"activeZoneMinutes":{"sumInFatBurnHeartZone":1e308,"sumInPeakHeartZone":"1"}}]}' |
    seed google_json extreme-rollup-azm 11 $R
printf '%s' '{"dataPoints":[{"sleep":{"interval":{"endTime":"2026-11-19T06:00:00Z"},"type":"STAGES","summary":{"minutesAsleep":"1e306","minutesInSleepPeriod":1e307,"stagesSummary":[{"type":"DEEP","minutes":1e306}]}}}]}' |
    seed google_json extreme-sleep 16 $R

# --- exercise: parser byte (0 Google, 1 legacy), range byte, JSON ---
# 2026-03-14 .. 2026-03-29 (fuzz_exercise.c): the fixtures' DST week
for f in "$fx"/google_exercise*.json; do
	n=${f##*/}
	seed exercise "$n" 0 95 <"$f"
done
for f in "$fx"/fitbit_exercise*.json; do
	n=${f##*/}
	seed exercise "$n" 1 95 <"$f"
done
{ cat "$fx/google_exercise.json"; bytes 0; cat "$fx/google_exercise.json"; } |
    seed exercise google-two-pages 0 95
{ cat "$fx/fitbit_exercise.json"; bytes 0; cat "$fx/fitbit_exercise.json"; } |
    seed exercise fitbit-two-pages 1 95
printf '%s' '{"dataPoints":[{"name":"a","exercise":{"interval":{"startTime":"2026-03-29T01:00:00Z","endTime":"2026-03-29T02:00:00Z"},"activeDuration":"1e308s","metricsSummary":{"caloriesKcal":1.7976931348623157e308,"distanceMillimeters":"1e308"}}},{"name":"b","exercise":{"interval":{"startTime":"2026-03-29T01:00:00.0009Z","endTime":"2026-03-29T02:00:00Z"}}}]}' |
    seed exercise extreme-google 0 95
printf '%s' '{"activities":[{"activityName":"Run","logId":1,"activeDuration":1e308,"duration":1,"distance":1e308,"distanceUnit":"Mile","startTime":"2026-03-29T02:30:00.000"}]}' |
    seed exercise extreme-fitbit 1 95

# --- tcx: the document ---
for f in "$fx"/tcx_*.tcx; do
	n=${f##*/}
	seed tcx "$n" <"$f"
done
printf '%s' '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities><Activity><Lap><Track><Trackpoint><Time>2026-11-19T07:41:40.123456Z</Time><Position><LatitudeDegrees>-0</LatitudeDegrees><LongitudeDegrees>1e2</LongitudeDegrees></Position><HeartRateBpm><Value>255</Value></HeartRateBpm></Trackpoint></Track></Lap></Activity></Activities></TrainingCenterDatabase>' |
    seed tcx shape-one-point
printf '%s' '<TrainingCenterDatabase><Activities><Activity><Lap><Track><Trackpoint><Time>1970-01-01T00:00:00Z</Time><![CDATA[x]]><AltitudeMeters><![CDATA[12]]>.5</AltitudeMeters></Trackpoint></Track></Lap></Activity></Activities></TrainingCenterDatabase>' |
    seed tcx shape-no-namespace

# --- oauth: mode byte, body ---
for f in "$fx"/oauth_*.json; do
	n=${f##*/}
	for m in 0 1 2; do
		seed oauth "$m-$n" "$m" <"$f"
	done
done
printf '%s' '{"access_token":"eyJ.a","refresh_token":"r-s3cr3t","expires_at":1795028800,"scope":"activity sleep","user_id":"26FWFL"}' |
    seed oauth file 3
printf '%s' '{"access_token":"a","refresh_token":"r","expires_at":"soon"}' |
    seed oauth file-bad 3
for f in "$fx"/fitbit_error_invalid_grant.json "$fx"/fitbit_error_expired_token.json \
    "$fx"/fitbit_error_invalid_token.json; do
	n=${f##*/}
	seed oauth "4-$n" 4 <"$f"
done
printf '%s' '{"error":"invalid_grant","error_description":"Bad Request"}' |
    seed oauth error-rfc 4
printf '%s' '{"error":"invalid_client","error_description":"The OAuth client was not found."}' |
    seed oauth error-client 5

# --- callback: code-size byte, query ---
cb() {
	printf '%s' "$2" | seed callback "$1" 255
}
cb ok "?code=c0de4b&state=$STATE"
cb ok-url "state=$STATE&code=c0de%2F4b+x&scope=activity#_=_"
cb denied "error=access_denied&state=$STATE"
cb failed "error=server_error&error_description=x&state=$STATE"
cb wrong-state "code=c0de&state=Zk3vQ9xLm2Pw7Rt5Yb8Nc4Hd6Jf1Gs0B"
cb two-states "code=c0de&state=$STATE&state=$STATE"
cb two-codes "code=c0de&code=c0de2&state=$STATE"
cb bad-escape "code=c0de%zz&state=$STATE"
cb empty-code "code=&state=$STATE"
printf '%s' "code=c0de0123456789&state=$STATE" | seed callback small 8

# --- state: the file ---
st() {
	printf '%s' "$2" | seed state "$1"
}
st empty '{"version":1}'
st full '{"version":1,"kinds":{"steps":{"next":"2024-01-01"},"heart_intraday":{"next":"2026-11-26","lo":"2025-11-02"}},"recent":{"2026-11-27":"9f1c0123456789ab","2026-11-27/sleep":"03ab0123456789ab","2026-11-25/spo2":"0000000000000000"}}'
st pretty '{
	"version":	1,
	"kinds":	{
		"steps":	{
			"next":	"2024-01-01"
		}
	},
	"recent":	{
		"2026-11-27":	"9f1c0123456789ab"
	}
}
'
st bad-lo '{"version":1,"kinds":{"sleep":{"next":"2024-01-01","lo":"2024-02-30"}}}'
st trailing '{"version":1} trailing'

# --- env: fail-at byte ('@': none), the file ---
seed env example 64 <.env.example
printf '%s\n' 'export A=1' "B='single # not a comment'" 'C="dq \" \\ \n x" # comment' \
    'D = spaced value  # comment' '# comment' '' 'E=' 'F="unterminated' |
    seed env quotes 64
printf 'A=1\r\nB=2\r\nC\r\n' | seed env crlf 64
printf 'A=1\nB=2\nC=3\n' | seed env fail-2 2

# --- config: mode byte, text ---
cf() {
	m=$1
	n=$2
	shift 2
	printf '%s\n' "$@" | seed config "$n" "$m"
}
cf 0 google GOOGLE_CLIENT_ID=id.apps.googleusercontent.com \
    GOOGLE_CLIENT_SECRET=GOCSPX-s3cr3t LISTEN_ADDRESS=[::1]:9877 \
    VICTORIA_ENDPOINT=http://vm:s3cr3t@victoria-metrics:8428/api/v1/write \
    VICTORIA_USER=vm VICTORIA_PASSWORD=s3cr3t SYNC_INTERVAL_MINUTES=15 \
    BACKFILL_START=2024-01-01 COLLECT=activity,heart,sleep INTRADAY=off \
    LOG_LEVEL=debug
cf 0 fitbit --once FITBIT_CLIENT_ID=23ABCD FITBIT_CLIENT_SECRET=s3cr3t \
    SOURCE=fitbit LISTEN_ADDRESS=:9877 \
    FITBIT_REDIRECT_URI=http://localhost:8080/callback?x=1 \
    FITBIT_API_URL=http://127.0.0.1:8081 DATA_DIR=/tmp/x FITBIT_USER_ID=me
cf 0 backfill --backfill --from 2024-01-01 --to 2024-02-01 \
    FITBIT_CLIENT_ID=23ABCD FITBIT_CLIENT_SECRET=s3cr3t
cf 0 authorize --authorize --listen-all GOOGLE_CLIENT_ID=a GOOGLE_CLIENT_SECRET=b \
    GOOGLE_REDIRECT_URI=https://127.0.0.1:8080/callback
cf 0 healthcheck --healthcheck LISTEN_ADDRESS=127.0.0.1:65535 \
    --log-level=WARN
cf 0 bad-url GOOGLE_CLIENT_ID=a GOOGLE_CLIENT_SECRET=b \
    GOOGLE_HEALTH_API_URL=https://[::1:443/x
cf 0 help --help
cf 0 users --authorize --user bob "USERS= alice ,bob,c_3-x" \
    FITBIT_CLIENT_ID=23ABCD FITBIT_CLIENT_SECRET=s3cr3t
cf 0 users-bad --once --user alice "USERS=alice,Bob,,alice" \
    FITBIT_CLIENT_ID=23ABCD FITBIT_CLIENT_SECRET=s3cr3t
cf 1 date 2024-02-29
cf 1 date-bad 2023-02-29
cf 2 kinds "sleep, spo2,intraday"
cf 2 kinds-all all
cf 3 level WARN

# --- tzif: zone files as Debian ships them, and footer-only shapes ---
for z in Europe/Berlin America/New_York Australia/Lord_Howe Asia/Kathmandu \
    Pacific/Apia UTC America/Santiago Europe/Dublin; do
	[ -f "/usr/share/zoneinfo/$z" ] || continue
	seed tzif "$(echo "$z" | tr / _)" </usr/share/zoneinfo/$z
done
# a v2 file without transitions: header, one type "STD", footer (slim)
slim() {
	for k in 1 2; do
		printf 'TZif2'
		bytes 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
		bytes 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 4
		bytes 0 0 0 0 0 0 83 84 68 0
	done
	printf '\n%s\n' "$1"
}
slim 'CET-1CEST,M3.5.0,M10.5.0/3' | seed tzif slim-berlin
slim '<+1030>-10:30<+11>-11,M10.1.0,M4.1.0' | seed tzif slim-lord-howe
slim '<-02>2<-01>,M3.5.0/-1,M10.5.0/0' | seed tzif slim-godthab
slim 'EST5EDT,J60/25,300/-3' | seed tzif slim-julian
