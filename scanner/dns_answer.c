/*
 * NAME
 *	dns_answer - a DNS reply message, checked and turned into typed records
 *
 * DESCRIPTION
 *	Three walks over the message: the first checks that every record of
 *	every section lies inside it (so a reply cut anywhere fails), the
 *	second follows the CNAME chain from the asked name, the third keeps
 *	the records of the asked type owned by a name of that chain. c-ares
 *	expands every name; the fixed-size fields around them are read here
 *	because c-ares' typed parsers neither report owner names nor know
 *	TLSA.
 */
#include "dns_answer.h"

#include <arpa/nameser.h>
#include <ares.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sa_error.h"

#define DNS_ANSWER_HEADER_LEN 12
#define DNS_ANSWER_RR_FIXED   10 /* type, class, TTL, rdlength */
#define DNS_ANSWER_MAX_LEN    65535
#define DNS_ANSWER_CLASS_IN   1

struct dns_answer_msg {
	const unsigned char *buf;
	size_t len;
};

struct dns_answer_rr {
	char *owner;
	unsigned type;
	unsigned rrclass;
	size_t rdata; /* offset of the rdata in the message */
	size_t rdlength;
};

/* The asked name and the aliases it leads to: chain[0] is the asked name. */
struct dns_answer_chain {
	char *names[DNS_ANSWER_MAX_CNAMES + 1];
	size_t n;
};

static const char *const dns_answer_rcode_names[] = {
    [ns_r_formerr] = "FORMERR",
    [ns_r_servfail] = "SERVFAIL",
    [ns_r_notimpl] = "NOTIMP",
    [ns_r_refused] = "REFUSED",
};

static unsigned dns_answer_u16(const struct dns_answer_msg *m, size_t off)
{
	assert(off + 2 <= m->len);
	return (unsigned)m->buf[off] << 8 | m->buf[off + 1];
}

static void dns_answer_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Expands the name at *off (lower case, no trailing dot) and moves *off past it. */
static int dns_answer_name(const struct dns_answer_msg *m, size_t *off, char **out)
{
	if (*off >= m->len)
		return SA_ERROR_PARSE;
	char *s = NULL;
	long enclen = 0;
	int rc = ares_expand_name(m->buf + *off, m->buf, (int)m->len, &s, &enclen);
	if (rc == ARES_ENOMEM)
		return SA_ERROR_NOMEM;
	if (rc != ARES_SUCCESS || enclen <= 0 || (size_t)enclen > m->len - *off) {
		ares_free_string(s);
		return SA_ERROR_PARSE;
	}
	/*
	 * c-ares ends each label with a dot and stops at a NUL byte inside a
	 * label, which leaves an unescaped dot at the end: such a name was
	 * cut short, and is refused rather than read as another name.
	 */
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '.' && (n < 2 || s[n - 2] != '\\')) {
		ares_free_string(s);
		return SA_ERROR_PARSE;
	}
	*off += (size_t)enclen;
	*out = strdup(s);
	ares_free_string(s);
	if (*out == NULL)
		return SA_ERROR_NOMEM;
	dns_answer_lower(*out);
	return 0;
}

/* Reads the record at *off and moves *off past it; rr->owner is the caller's. */
static int dns_answer_rr_read(const struct dns_answer_msg *m, size_t *off, struct dns_answer_rr *rr)
{
	*rr = (struct dns_answer_rr){0};
	int rc = dns_answer_name(m, off, &rr->owner);
	if (rc != 0)
		return rc;
	if (m->len - *off < DNS_ANSWER_RR_FIXED) {
		free(rr->owner);
		rr->owner = NULL;
		return SA_ERROR_PARSE;
	}
	rr->type = dns_answer_u16(m, *off);
	rr->rrclass = dns_answer_u16(m, *off + 2);
	rr->rdlength = dns_answer_u16(m, *off + 8);
	rr->rdata = *off + DNS_ANSWER_RR_FIXED;
	if (rr->rdlength > m->len - rr->rdata) {
		free(rr->owner);
		rr->owner = NULL;
		return SA_ERROR_PARSE;
	}
	*off = rr->rdata + rr->rdlength;
	return 0;
}

/* Checks that count records lie inside the message from *off, and moves *off past them. */
static int dns_answer_skip_rrs(const struct dns_answer_msg *m, size_t *off, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		struct dns_answer_rr rr;
		int rc = dns_answer_rr_read(m, off, &rr);
		free(rr.owner);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static bool dns_answer_same_name(const char *wire, const char *asked)
{
	size_t len = strlen(asked);
	if (len > 0 && asked[len - 1] == '.')
		len--;
	return strlen(wire) == len && strncasecmp(wire, asked, len) == 0;
}

/* Checks the single question is (name, type, IN) and moves *off past it. */
static int dns_answer_question(const struct dns_answer_msg *m, size_t *off, const char *name,
                               int type)
{
	char *qname = NULL;
	int rc = dns_answer_name(m, off, &qname);
	if (rc != 0)
		return rc;
	bool same = dns_answer_same_name(qname, name);
	free(qname);
	if (!same || m->len - *off < 4 || dns_answer_u16(m, *off) != (unsigned)type ||
	    dns_answer_u16(m, *off + 2) != DNS_ANSWER_CLASS_IN)
		return SA_ERROR_PARSE;
	*off += 4;
	return 0;
}

static bool dns_answer_in_chain(const struct dns_answer_chain *c, const char *owner)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->names[i], owner) == 0)
			return true;
	return false;
}

/* The target of the first CNAME owned by owner in the answer section; *target NULL if none. */
static int dns_answer_find_cname(const struct dns_answer_msg *m, size_t off, unsigned count,
                                 const char *owner, char **target)
{
	*target = NULL;
	for (unsigned i = 0; i < count && *target == NULL; i++) {
		struct dns_answer_rr rr;
		int rc = dns_answer_rr_read(m, &off, &rr);
		if (rc != 0)
			return rc;
		if (rr.type == ns_t_cname && rr.rrclass == DNS_ANSWER_CLASS_IN &&
		    strcmp(rr.owner, owner) == 0) {
			size_t at = rr.rdata;
			rc = dns_answer_name(m, &at, target);
			if (rc == 0 && at != rr.rdata + rr.rdlength) {
				free(*target);
				*target = NULL;
				rc = SA_ERROR_PARSE;
			}
		}
		free(rr.owner);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int dns_answer_follow(const struct dns_answer_msg *m, size_t off, unsigned count,
                             struct dns_answer_chain *c)
{
	while (c->n < DNS_ANSWER_MAX_CNAMES + 1) {
		char *target;
		int rc = dns_answer_find_cname(m, off, count, c->names[c->n - 1], &target);
		if (rc != 0 || target == NULL)
			return rc;
		if (dns_answer_in_chain(c, target)) {
			free(target);
			return 0;
		}
		c->names[c->n++] = target;
	}
	return 0;
}

static int dns_answer_add_mx(const struct dns_answer_msg *m, const struct dns_answer_rr *rr,
                             struct dns_answer *out)
{
	if (rr->rdlength < 3)
		return SA_ERROR_PARSE;
	size_t at = rr->rdata + 2;
	char *host = NULL;
	int rc = dns_answer_name(m, &at, &host);
	if (rc != 0)
		return rc;
	if (at != rr->rdata + rr->rdlength) {
		free(host);
		return SA_ERROR_PARSE;
	}
	out->mx[out->nmx++] = (struct dns_rr_mx){
	    .preference = dns_answer_u16(m, rr->rdata),
	    .host = host,
	};
	return 0;
}

static size_t dns_answer_txt_total(const struct dns_answer *a)
{
	size_t total = 0;
	for (size_t i = 0; i < a->ntxt; i++)
		total += strlen(a->txt[i]);
	return total;
}

/* Concatenates the character-strings (RFC 7208 3.3); a record past the TXT cap is dropped. */
static int dns_answer_add_txt(const struct dns_answer_msg *m, const struct dns_answer_rr *rr,
                              struct dns_answer *out)
{
	const unsigned char *p = m->buf + rr->rdata;
	const unsigned char *end = p + rr->rdlength;
	size_t textlen = 0;
	for (const unsigned char *s = p; s < end; s += 1 + *s) {
		if (*s > end - s - 1)
			return SA_ERROR_PARSE;
		textlen += *s;
	}
	if (dns_answer_txt_total(out) + textlen > DNS_ANSWER_MAX_TXT)
		return 0;
	char *text = malloc(textlen + 1);
	if (text == NULL)
		return SA_ERROR_NOMEM;
	size_t n = 0;
	for (const unsigned char *s = p; s < end; s += 1 + *s)
		for (size_t i = 1; i <= *s; i++)
			text[n++] = s[i] == '\0' ? '?' : (char)s[i];
	text[n] = '\0';
	out->txt[out->ntxt++] = text;
	return 0;
}

static int dns_answer_add_tlsa(const struct dns_answer_msg *m, const struct dns_answer_rr *rr,
                               struct dns_answer *out)
{
	if (rr->rdlength < 3)
		return SA_ERROR_PARSE;
	const unsigned char *p = m->buf + rr->rdata;
	size_t len = rr->rdlength - 3;
	unsigned char *data = malloc(len > 0 ? len : 1);
	if (data == NULL)
		return SA_ERROR_NOMEM;
	memcpy(data, p + 3, len);
	out->tlsa[out->ntlsa++] = (struct dns_rr_tlsa){
	    .usage = p[0],
	    .selector = p[1],
	    .matching = p[2],
	    .data = data,
	    .len = len,
	};
	return 0;
}

static int dns_answer_add_name(const struct dns_answer_msg *m, const struct dns_answer_rr *rr,
                               struct dns_answer *out)
{
	size_t at = rr->rdata;
	char *target = NULL;
	int rc = dns_answer_name(m, &at, &target);
	if (rc != 0)
		return rc;
	if (at != rr->rdata + rr->rdlength) {
		free(target);
		return SA_ERROR_PARSE;
	}
	out->names[out->nnames++] = target;
	return 0;
}

static int dns_answer_add_addr(const struct dns_answer_msg *m, const struct dns_answer_rr *rr,
                               struct dns_answer *out)
{
	int family = rr->type == ns_t_a ? AF_INET : AF_INET6;
	size_t len = family == AF_INET ? 4 : 16;
	if (rr->rdlength != len)
		return SA_ERROR_PARSE;
	struct target_addr *a = &out->addrs[out->naddrs++];
	*a = (struct target_addr){.family = family};
	memcpy(a->bytes, m->buf + rr->rdata, len);
	return 0;
}

bool dns_answer_supports(int type)
{
	switch (type) {
	case ns_t_mx:
	case ns_t_txt:
	case ns_t_tlsa:
	case ns_t_ptr:
	case ns_t_cname:
	case ns_t_a:
	case ns_t_aaaa:
		return true;
	default:
		return false;
	}
}

/* Room for the cap of records of out's type: an answer keeps one type only. */
static int dns_answer_alloc(struct dns_answer *out)
{
	switch (out->type) {
	case ns_t_mx:
		out->mx = calloc(DNS_ANSWER_MAX_RECORDS, sizeof(*out->mx));
		return out->mx == NULL ? SA_ERROR_NOMEM : 0;
	case ns_t_txt:
		out->txt = calloc(DNS_ANSWER_MAX_RECORDS, sizeof(*out->txt));
		return out->txt == NULL ? SA_ERROR_NOMEM : 0;
	case ns_t_tlsa:
		out->tlsa = calloc(DNS_ANSWER_MAX_RECORDS, sizeof(*out->tlsa));
		return out->tlsa == NULL ? SA_ERROR_NOMEM : 0;
	case ns_t_ptr:
	case ns_t_cname:
		out->names = calloc(DNS_ANSWER_MAX_RECORDS, sizeof(*out->names));
		return out->names == NULL ? SA_ERROR_NOMEM : 0;
	case ns_t_a:
	case ns_t_aaaa:
		out->addrs = calloc(DNS_ANSWER_MAX_RECORDS, sizeof(*out->addrs));
		return out->addrs == NULL ? SA_ERROR_NOMEM : 0;
	default:
		assert(!"dns_answer: unsupported type");
		return SA_ERROR_INVAL;
	}
}

static size_t dns_answer_kept(const struct dns_answer *a)
{
	return a->nmx + a->ntxt + a->ntlsa + a->nnames + a->naddrs;
}

static int dns_answer_add(const struct dns_answer_msg *m, const struct dns_answer_rr *rr,
                          struct dns_answer *out)
{
	if (dns_answer_kept(out) == DNS_ANSWER_MAX_RECORDS)
		return 0;
	switch (out->type) {
	case ns_t_mx:
		return dns_answer_add_mx(m, rr, out);
	case ns_t_txt:
		return dns_answer_add_txt(m, rr, out);
	case ns_t_tlsa:
		return dns_answer_add_tlsa(m, rr, out);
	case ns_t_a:
	case ns_t_aaaa:
		return dns_answer_add_addr(m, rr, out);
	default:
		return dns_answer_add_name(m, rr, out);
	}
}

static int dns_answer_collect(const struct dns_answer_msg *m, size_t off, unsigned count,
                              const struct dns_answer_chain *c, struct dns_answer *out)
{
	for (unsigned i = 0; i < count; i++) {
		struct dns_answer_rr rr;
		int rc = dns_answer_rr_read(m, &off, &rr);
		if (rc != 0)
			return rc;
		if (rr.type == (unsigned)out->type && rr.rrclass == DNS_ANSWER_CLASS_IN &&
		    dns_answer_in_chain(c, rr.owner))
			rc = dns_answer_add(m, &rr, out);
		free(rr.owner);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void dns_answer_rcode_failed(struct dns_answer *out, unsigned rcode)
{
	const size_t n = sizeof(dns_answer_rcode_names) / sizeof(dns_answer_rcode_names[0]);
	out->status = DNS_ANSWER_FAILED;
	if (rcode < n && dns_answer_rcode_names[rcode] != NULL)
		snprintf(out->detail, sizeof(out->detail), "%s", dns_answer_rcode_names[rcode]);
	else
		snprintf(out->detail, sizeof(out->detail), "rcode %u", rcode);
}

static int dns_answer_records(const struct dns_answer_msg *m, size_t an_off, unsigned ancount,
                              struct dns_answer *out)
{
	struct dns_answer_chain c = {.n = 1};
	c.names[0] = strdup(out->name);
	if (c.names[0] == NULL)
		return SA_ERROR_NOMEM;
	size_t len = strlen(c.names[0]);
	if (len > 0 && c.names[0][len - 1] == '.')
		c.names[0][len - 1] = '\0';
	dns_answer_lower(c.names[0]);
	int rc = dns_answer_alloc(out);
	if (rc == 0 && out->type != ns_t_cname)
		rc = dns_answer_follow(m, an_off, ancount, &c);
	if (rc == 0)
		rc = dns_answer_collect(m, an_off, ancount, &c, out);
	bool alias_asked = out->type == ns_t_cname && out->nnames > 0;
	if (rc == 0 && (c.n > 1 || alias_asked)) {
		const char *first = alias_asked ? out->names[0] : c.names[1];
		out->cname = strdup(first);
		if (out->cname == NULL)
			rc = SA_ERROR_NOMEM;
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.names[i]);
	return rc;
}

static int dns_answer_read(const struct dns_answer_msg *m, struct dns_answer *out)
{
	if (m->len < DNS_ANSWER_HEADER_LEN || m->len > DNS_ANSWER_MAX_LEN)
		return SA_ERROR_PARSE;
	const unsigned char *h = m->buf;
	bool response = h[2] & 0x80;
	unsigned rcode = h[3] & 0x0f;
	out->authenticated = h[3] & 0x20;
	if (!response)
		return SA_ERROR_PARSE;
	if (rcode != ns_r_noerror && rcode != ns_r_nxdomain) {
		dns_answer_rcode_failed(out, rcode);
		return 0;
	}
	if (dns_answer_u16(m, 4) != 1)
		return SA_ERROR_PARSE;
	unsigned ancount = dns_answer_u16(m, 6);
	unsigned rest = dns_answer_u16(m, 8) + dns_answer_u16(m, 10);
	size_t off = DNS_ANSWER_HEADER_LEN;
	int rc = dns_answer_question(m, &off, out->name, out->type);
	size_t an_off = off;
	if (rc == 0)
		rc = dns_answer_skip_rrs(m, &off, ancount + rest);
	if (rc == 0)
		rc = dns_answer_records(m, an_off, ancount, out);
	if (rc != 0)
		return rc;
	if (rcode == ns_r_nxdomain)
		out->status = DNS_ANSWER_NXDOMAIN;
	else
		out->status = dns_answer_kept(out) > 0 ? DNS_ANSWER_OK : DNS_ANSWER_NODATA;
	return 0;
}

int dns_answer_parse(const unsigned char *buf, size_t len, const char *name, int type,
                     struct dns_answer *out)
{
	assert(dns_answer_supports(type));
	*out = (struct dns_answer){.name = name, .type = type};
	const struct dns_answer_msg m = {.buf = buf, .len = len};
	int rc = dns_answer_read(&m, out);
	if (rc == 0)
		return 0;
	dns_answer_free(out);
	dns_answer_failed(out, name, type,
	                  rc == SA_ERROR_NOMEM ? "out of memory" : "malformed answer");
	return rc == SA_ERROR_NOMEM ? rc : 0;
}

void dns_answer_failed(struct dns_answer *out, const char *name, int type, const char *detail)
{
	*out = (struct dns_answer){.name = name, .type = type, .status = DNS_ANSWER_FAILED};
	snprintf(out->detail, sizeof(out->detail), "%s", detail);
}

static void dns_answer_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void dns_answer_free(struct dns_answer *a)
{
	for (size_t i = 0; i < a->nmx; i++)
		free(a->mx[i].host);
	free(a->mx);
	for (size_t i = 0; i < a->ntlsa; i++)
		free(a->tlsa[i].data);
	free(a->tlsa);
	dns_answer_free_strings(a->txt, a->ntxt);
	dns_answer_free_strings(a->names, a->nnames);
	free(a->addrs);
	free(a->cname);
	*a = (struct dns_answer){.name = a->name, .type = a->type};
}
