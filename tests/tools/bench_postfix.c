/*
 * NAME
 *	bench_postfix - run one private Postfix on loopback until told to stop
 *
 * SYNOPSIS
 *	bench_postfix READY_FILE CONFIG ["key = value" ...]
 *
 * DESCRIPTION
 *	Starts a Postfix instance on 127.0.0.1 through tests/support/postfix.h
 *	with the named configuration (postfix_config(), e.g. "hardened")
 *	plus the given main.cf lines, which win over the configuration's.
 *	Once it greets, writes "ADDRESS PORT DIRECTORY" to READY_FILE (the
 *	directory holds maillog), then waits for SIGTERM, SIGINT or SIGHUP,
 *	stops the instance and removes its directory. For
 *	scripts/bench.sh, which starts and stops it by pid; the fixture's
 *	guard process stops the instance if this program dies otherwise.
 *
 * DIAGNOSTICS
 *	Exit status 0 after a signal, 1 when Postfix cannot start or the
 *	ready file cannot be written (postfix_start() says why on stderr),
 *	2 for bad arguments or an unknown configuration.
 */
#include <signal.h>
#include <stdio.h>

#include "postfix.h"

/* Writes "ADDRESS PORT DIRECTORY"; false when the file cannot be written. */
static bool bench_postfix_ready(const struct postfix *pf, const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return false;
	}
	fprintf(f, "%s %u %s\n", pf->address, (unsigned)pf->port, pf->dir);
	if (fclose(f) != 0) {
		perror(path);
		return false;
	}
	return true;
}

/* Blocks the stop signals, so sigwait() takes them however early they come. */
static void bench_postfix_block(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGHUP);
	sigprocmask(SIG_BLOCK, stop, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_postfix READY_FILE CONFIG [\"key = value\" ...]\n");
		return 2;
	}
	const char *const *config = postfix_config(argv[2]);
	if (config == NULL) {
		fprintf(stderr, "bench_postfix: unknown configuration '%s'\n", argv[2]);
		return 2;
	}
	sigset_t stop;
	bench_postfix_block(&stop);
	struct postfix pf = {0};
	/* argv ends with NULL, so the lines after CONFIG are a NULL-terminated list. */
	if (postfix_prepare(&pf, "127.0.0.1", config, (const char *const *)argv + 3) != 0 ||
	    postfix_launch(&pf) != 0) {
		postfix_stop(&pf);
		return 1;
	}
	int status = 1;
	if (bench_postfix_ready(&pf, argv[1])) {
		int sig;
		sigwait(&stop, &sig);
		status = 0;
	}
	postfix_stop(&pf);
	return status;
}
