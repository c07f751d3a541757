/*
 * NAME
 *	report_time - ISO 8601 UTC timestamps for the writers
 */
#include "report_time.h"

#include <stdio.h>
#include <time.h>

/* Earliest and latest instants gmtime_r() turns into a four-digit year. */
#define REPORT_TIME_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define REPORT_TIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* millis < 0: none printed. */
static const char *report_time_format(int64_t seconds, int millis, char buf[REPORT_TIME_LEN])
{
	if (seconds < REPORT_TIME_MIN)
		seconds = REPORT_TIME_MIN;
	if (seconds > REPORT_TIME_MAX)
		seconds = REPORT_TIME_MAX;
	time_t t = (time_t)seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	int n = snprintf(buf, REPORT_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (millis >= 0)
		snprintf(buf + n, REPORT_TIME_LEN - (size_t)n, ".%03dZ", millis);
	else
		snprintf(buf + n, REPORT_TIME_LEN - (size_t)n, "Z");
	return buf;
}

const char *report_time_ms(int64_t ms, bool with_millis, char buf[REPORT_TIME_LEN])
{
	/* Floor division, so -1 ms is 23:59:59.999 of the day before. */
	int64_t seconds = ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1;
	return report_time_format(seconds, with_millis ? (int)(ms - seconds * 1000) : -1, buf);
}

const char *report_time_seconds(int64_t seconds, char buf[REPORT_TIME_LEN])
{
	return report_time_format(seconds, -1, buf);
}
