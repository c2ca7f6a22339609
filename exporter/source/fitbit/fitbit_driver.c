/*
 * fitbit_driver: the legacy Fitbit Web API in the driver table (driver.h).
 */
#include "fitbit.h"
#include "source/driver.h"

const struct source_driver fitbit_driver = {
	.name = "fitbit",
	.prefix = "FITBIT_",
	.brand = "Fitbit",
	.title = "legacy Fitbit Web API",
	.client_note = "(app type \"Personal\")",
	.api_var = "API_URL",
	.api_url = "https://api.fitbit.com",
	.api_help = "Fitbit Web API base",
	.auth_url = "https://www.fitbit.com/oauth2/authorize",
	.token_url = "https://api.fitbit.com/oauth2/token",
	.redirect_uri = "http://localhost:8080/callback",
	.scopes = "activity heartrate profile settings sleep "
	    "oxygen_saturation respiratory_rate temperature cardio_fitness "
	    "weight",
	.route_scopes = "location",
	.basic_auth = 1,
	.auth_params = NULL,
	.invalid_grant_hint = "Fitbit refused the refresh token "
	    "(invalid_grant): run 'syncbit --authorize' again",
	.account_hint = "the Fitbit Web API has no data of this account: "
	    "see the log",
	.create = fitbit_new,
};
