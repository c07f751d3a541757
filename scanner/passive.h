/*
 * NAME
 *	passive - the `smtp-audit passive` subcommand: audit recorded or live SMTP traffic
 *
 * SUMMARY
 *	smtp-audit passive -r FILE.pcap [OPTIONS]
 *	smtp-audit passive -i IFACE [--duration DUR] [--count N] [OPTIONS]
 *
 * DESCRIPTION
 *	Reads packets (passive_capture), reassembles TCP (tcp_reasm), follows
 *	the SMTP dialogs (passive_smtp) and writes one target per server
 *	address:port with the same report writers as a scan, to stdout or
 *	atomically to --out. SIGINT and SIGTERM end a live capture early; the
 *	report then holds everything seen until then.
 *
 *	Exit codes are the scan's: 0 nothing at or above --fail-on, 1
 *	findings at or above it, 2 usage error or a capture that cannot be
 *	opened (missing file, no capture permission, bad filter), 3 no SMTP
 *	session in the traffic (nothing could be audited).
 *
 * DIAGNOSTICS
 *	"smtp-audit passive: REASON" on standard error, the reason naming the
 *	option, file or interface at fault.
 */
#ifndef PASSIVE_H
#define PASSIVE_H

#include <stdio.h>

/* Runs the subcommand; argv[0] is "passive". Returns the exit code. */
int passive_main(int argc, char **argv);

/* The subcommand's usage and options, also part of `smtp-audit --help`. */
void passive_usage(FILE *out);

#endif
