/*
 * NAME
 *	dns_tags - tag=value TXT records (DMARC, MTA-STS, TLS-RPT) and their report URIs
 *
 * SUMMARY
 *	struct dns_tags tags;
 *	char err[128];
 *	if (dns_tags_parse(&tags, record, true, err, sizeof(err)) == 0) {
 *		const struct dns_tag *p = dns_tags_find(&tags, "p");
 *		...
 *		dns_tags_free(&tags);
 *	}
 *
 * DESCRIPTION
 *	DMARC (RFC 7489 section 6.4), MTA-STS (RFC 8461 section 3.1) and
 *	TLS-RPT (RFC 8460 section 3) publish semicolon-separated tag=value
 *	lists that open with a version tag. A tag name starts with a letter
 *	or digit followed by up to 31 letters, digits, '_', '-' or '.'; a
 *	value is printable ASCII without ';' and may hold blanks (list
 *	values such as "mailto:a@x, mailto:b@y" do), which each tag's own
 *	check judges. Blanks around ';' are allowed; around '=' only when
 *	spaced_equals is true (DMARC allows them, MTA-STS and TLS-RPT do
 *	not). An empty last tag after a final ';' is allowed. Tags are kept
 *	in order, duplicates included: the caller decides what a repeated
 *	tag means.
 *
 *	Report URIs are comma-separated lists: mailto: with an addr-spec
 *	whose domain is a host name, and https: with a host name (TLS-RPT
 *	only), optionally followed by a DMARC size limit "!10m".
 *
 * DIAGNOSTICS
 *	dns_tags_parse() returns SA_ERROR_PARSE with err saying what is wrong
 *	and at which byte offset, SA_ERROR_TOOBIG for more than DNS_TAGS_MAX
 *	tags or a record over DNS_TAGS_MAX_RECORD bytes, or SA_ERROR_NOMEM.
 */
#ifndef DNS_TAGS_H
#define DNS_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#define DNS_TAGS_MAX 32
/* The most a TXT record's strings can add up to in one DNS message. */
#define DNS_TAGS_MAX_RECORD 65535

struct dns_tag {
	const char *name;  /* NUL-terminated, inside the tags' own copy */
	const char *value; /* trimmed, possibly empty */
	size_t offset;     /* of the name in the record */
};

struct dns_tags {
	char *buf;
	struct dns_tag tags[DNS_TAGS_MAX];
	size_t n;
};

int dns_tags_parse(struct dns_tags *out, const char *record, bool spaced_equals, char *err,
                   size_t errlen);
void dns_tags_free(struct dns_tags *tags);

/* The first tag named name (case-sensitive), or NULL. */
const struct dns_tag *dns_tags_find(const struct dns_tags *tags, const char *name);

/* How many tags are named name. */
size_t dns_tags_count(const struct dns_tags *tags, const char *name);

/*
 * True when record opens with the version tag "v=<version>" (blanks
 * around '=' when spaced_equals) followed by its end, ';' or a blank:
 * the test that picks a protocol's records out of all TXT records.
 */
bool dns_tags_versioned(const char *record, const char *version, bool spaced_equals);

enum dns_tags_uri_kind {
	DNS_TAGS_URI_MAILTO = 1 << 0,
	DNS_TAGS_URI_HTTPS = 1 << 1,
	DNS_TAGS_URI_SIZE = 1 << 2, /* the DMARC "!size" suffix is allowed */
};

/*
 * Checks a comma-separated URI list (blanks around commas allowed);
 * allowed is a mask of dns_tags_uri_kind. On SA_ERROR_PARSE err names
 * the first bad URI and why.
 */
int dns_tags_check_uris(const char *value, unsigned allowed, char *err, size_t errlen);

#endif
