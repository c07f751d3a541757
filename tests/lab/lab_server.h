/*
 * NAME
 *	lab_server - smtp-lab's listeners and event loop
 *
 * SUMMARY
 *	struct lab_config cfg = {...};   (filled by lab_main from the command line)
 *	rc = lab_server_run(&cfg);       returns after SIGTERM or SIGINT
 *
 * DESCRIPTION
 *	One process, one libuv loop, any number of listeners (thousands for
 *	a farm, see lab_farm), each with its persona and, optionally,
 *	implicit TLS. Once every listener is bound the truth file gets one
 *	line per farm listener, "ADDRESS PORT PERSONA", and then the ready
 *	file one line per listener, "ADDRESS PORT PERSONA tls|plain" (the
 *	real port when 0 was asked for). Each is written to FILE.tmp and
 *	renamed, so a reader never sees half of it, and whoever waits for the
 *	ready file finds the truth file complete. SIGTERM and SIGINT close
 *	the listeners and every connection; the loop then ends.
 *
 * DIAGNOSTICS
 *	lab_server_run() returns 0 after a signal, or an SA_ERROR_* code
 *	after printing one line on stderr (a listener could not be bound,
 *	the truth or ready file could not be written).
 */
#ifndef LAB_SERVER_H
#define LAB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "lab_log.h"
#include "lab_persona.h"

struct tls_ctx;

struct lab_listen_spec {
	const char *text; /* as given on the command line, for messages; NULL for the farm */
	struct sockaddr_storage addr;
	const struct lab_persona *persona;
	bool tls;
	bool farm; /* listed in the truth file */
};

struct lab_config {
	const struct lab_listen_spec *listens;
	size_t nlistens;
	const char *hostname;
	unsigned delay_ms;
	struct tls_ctx *tls;      /* server context for STARTTLS and implicit TLS */
	struct tls_ctx *tls_deep; /* for LAB_PERSONA_DEEP_CHAIN; NULL if none listens */
	struct lab_log *log;      /* NULL: no command log */
	const char *ready_file;   /* NULL: none */
	const char *truth_file;   /* NULL: none */
};

int lab_server_run(const struct lab_config *cfg);

#endif
