/*
 * NAME
 *	scan_options - defaults and helpers for the scan's settings
 */
#include "scan_options.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "credential.h"

/* Documented in --help and the README: an FQDN-shaped, reserved (RFC 6761) name. */
#define SCAN_HELO_FALLBACK "smtp-audit.invalid"

static void scan_options_default_helo(char *buf, size_t buflen)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	size_t len = strlen(host);
	/* A name without a dot would be refused by FQDN checks and skew every verdict. */
	if (len > 0 && strchr(host, '.') != NULL && host[len - 1] != '.')
		snprintf(buf, buflen, "%s", host);
	else
		snprintf(buf, buflen, "%s", SCAN_HELO_FALLBACK);
}

void scan_options_init(struct scan_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	target_list_init(&opt->targets);
	static const uint16_t default_ports[] = {25, 465, 587};
	memcpy(opt->ports, default_ports, sizeof(default_ports));
	opt->nports = sizeof(default_ports) / sizeof(default_ports[0]);
	opt->tls_ports[0] = 465;
	opt->ntls_ports = 1;
	opt->submission_ports[0] = 587;
	opt->nsubmission_ports = 1;
	opt->max_targets = TARGET_LIST_DEFAULT_MAX;
	opt->concurrency = 256;
	opt->per_host = 2;
	opt->host_rate = 10;
	opt->retries = 2;
	opt->retry_delay_ms = 1000;
	opt->tls_resumption = true;
	opt->timeouts = (struct scan_timeouts){
		.connect_ms = 10000,
		.greeting_ms = 30000,
		.reply_ms = 30000,
		.tls_ms = 15000,
		.target_ms = 300000,
	};
	opt->fail_on = SEVERITY_MEDIUM;
	opt->color = SCAN_COLOR_AUTO;
	scan_options_default_helo(opt->helo_name, sizeof(opt->helo_name));
	opt->probe_settings.helo_name = opt->helo_name;
	/* RFC 2606 names: nothing a relay test sends can ever be delivered. */
	opt->probe_settings.relay_domain = "example.net";
	opt->probe_settings.relay_from = "smtp-audit@example.org";
	opt->probe_settings.cert_warn_days = 21;
	opt->mta_sts_port = 443;
	opt->mx_port = 25;
}

static bool scan_options_port_in(const uint16_t *ports, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

bool scan_options_implicit_tls(const struct scan_options *opt, uint16_t port)
{
	return scan_options_port_in(opt->tls_ports, opt->ntls_ports, port);
}

bool scan_options_submission(const struct scan_options *opt, uint16_t port)
{
	return scan_options_port_in(opt->submission_ports, opt->nsubmission_ports, port);
}

void scan_options_free(struct scan_options *opt)
{
	target_list_free(&opt->targets);
	domain_list_free(&opt->domains);
	user_list_free(&opt->users);
	credential_free(opt->auth_password);
}
