/*
 * NAME
 *	merge - join the JSON reports of --shard runs into one report
 *
 * SUMMARY
 *	smtp-audit merge [-o FORMAT] [--out FILE] SHARD.json...
 *
 * DESCRIPTION
 *	Each input must be a valid -o json report (validated as for
 *	--baseline). Their targets are rebuilt (result_json.h) and written
 *	as one scan in any report format, as if one run had scanned them.
 *
 *	The merged scan starts at the earliest start, finishes at the latest
 *	finish and is interrupted when any input is. Its scan id is derived
 *	from the inputs' ids (the first 32 hex digits of the SHA-256 of the
 *	sorted ids, one per line, shaped as an RFC 9562 version 8 UUID), so
 *	merging the same reports again gives the same id.
 *
 *	Shards are disjoint, so a target (host, address, port) found in two
 *	inputs means an input was given twice or is from another scan: that
 *	is an error, not something to guess about. Domains (domain mode)
 *	are different: every shard resolves every --domain, so a domain is
 *	taken from the first input that has it and its copies in the other
 *	inputs (the same lookups, made at the same time) are skipped.
 *	Inputs from a different
 *	smtp-audit version or that ran a different probe set are merged with
 *	a warning on stderr, as is an input from an interrupted scan.
 *
 * DIAGNOSTICS
 *	Exit 0 when the merged report was written, 2 on a usage error, an
 *	unreadable or invalid input, a duplicate target, or a failed write.
 *	"smtp-audit merge: b.json: target mx.example.org:25 (192.0.2.1) is
 *	also in a.json".
 */
#ifndef MERGE_H
#define MERGE_H

/* The merge subcommand; argv[0] is "merge". Returns the exit code. */
int merge_main(int argc, char **argv);

#endif
