/*
 * google_driver: the Google Health API in the driver table (driver.h).
 */
#include "google.h"
#include "google_rollup.h"
#include "source/driver.h"

#define SCOPE(s) SCOPE_PREFIX s

const struct source_driver google_driver = {
	.name = "google",
	.prefix = "GOOGLE_",
	.brand = "Google",
	.title = "Google Health API",
	.client_note = "(Google Cloud console)",
	.api_var = "HEALTH_API_URL",
	.api_url = "https://health.googleapis.com",
	.api_help = "Google Health API base",
	.auth_url = "https://accounts.google.com/o/oauth2/v2/auth",
	.token_url = "https://oauth2.googleapis.com/token",
	.redirect_uri = "http://127.0.0.1:8080/callback",
	.scopes = SCOPE("activity_and_fitness.readonly") " "
	    SCOPE("health_metrics_and_measurements.readonly") " "
	    SCOPE("sleep.readonly") " "
	    SCOPE("profile.readonly") " "
	    SCOPE("settings.readonly"),
	.route_scopes = SCOPE("location.readonly"),
	.basic_auth = 0,
	.auth_params = "access_type=offline&prompt=consent",
	.invalid_grant_hint = "Google refused the refresh token "
	    "(invalid_grant): an OAuth app in \"Testing\" status gets "
	    "refresh tokens that die after 7 days, access may have been "
	    "revoked, or the token was unused for 6 months; publish the "
	    "app \"In production\" and run 'syncbit --authorize' again",
	.account_hint = "account not linked to Google Health "
	    "(ACCOUNT_NOT_LINKED): see README, Troubleshooting",
	.create = google_new,
};
