/*
 * NAME
 *	report_time - timestamps as every writer prints them
 *
 * DESCRIPTION
 *	ISO 8601 in UTC ("2026-11-22T13:21:36Z", or with ".883Z" milliseconds).
 *	Instants outside the years 0000..9999 are clamped, so a corrupt or
 *	hostile certificate date can never produce a malformed timestamp.
 */
#ifndef REPORT_TIME_H
#define REPORT_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* Room for any struct tm the format can print, not only the clamped ones. */
#define REPORT_TIME_LEN 80

/* Formats Unix milliseconds into buf (with ".mmm" when with_millis) and returns buf. */
const char *report_time_ms(int64_t ms, bool with_millis, char buf[REPORT_TIME_LEN]);

/* Formats Unix seconds (any int64_t, e.g. from a certificate) into buf and returns buf. */
const char *report_time_seconds(int64_t seconds, char buf[REPORT_TIME_LEN]);

#endif
