/*
 * NAME
 *	target_list - every target of a scan, from arguments, files and stdin
 *
 * DESCRIPTION
 *	See target_list.h. Specs are kept as parsed; a CIDR block is expanded
 *	one address per target_list_next() call with target_spec_nth(), its
 *	text formatted into the iterator, so iterating allocates nothing.
 *	An address inside an excluded block skips the rest of that block in
 *	one step, so excluding most of a large range costs no time.
 *
 *	Duplicates are specs equal in kind, host, prefix and port; a
 *	tsearch(3) tree of their keys finds them. Specs that merely overlap
 *	("192.0.2.0/24" and "192.0.2.7") are both kept. The total checked
 *	against --max-targets counts specs before exclusions.
 *
 *	File lines are read into a fixed buffer: a line longer than
 *	TARGET_LIST_LINE_MAX or one holding a NUL byte is an error, so a
 *	hostile file cannot make the reader grow without bound.
 *
 * DIAGNOSTICS
 *	"SOURCE: <target_parse message>" for a bad target (SOURCE is
 *	"FILE:LINE" for files, "stdin:LINE" for "-"), "cannot read 'FILE':
 *	<strerror>" (SA_ERROR_IO), "FILE:LINE: line longer than N bytes"
 *	(SA_ERROR_TOOBIG), "FILE:LINE: NUL byte in line" (SA_ERROR_PARSE),
 *	"exclusion HOST:PORT cannot have a port", and for the size limit
 *	(SA_ERROR_TOOBIG) "10.0.0.0/8 is 16777216 addresses, over
 *	--max-targets 65536 (raise --max-targets to scan it)" or "the
 *	targets add up to N addresses and names, over --max-targets M".
 */
#include "target_list.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sa_error.h"
#include "text_line.h"

#define TARGET_LIST_LINE_MAX   1024
#define TARGET_LIST_REASON_MAX 256

void target_list_init(struct target_list *list)
{
	*list = (struct target_list){.specs = NULL};
}

static void target_list_free_specs(struct target_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		target_spec_free(&specs[i]);
	free(specs);
}

void target_list_free(struct target_list *list)
{
	target_list_free_specs(list->specs, list->nspecs);
	target_list_free_specs(list->excludes, list->nexcludes);
	tdestroy(list->seen, free);
	target_list_init(list);
}

static int target_list_reserve(struct target_spec **specs, size_t *cap, size_t n)
{
	if (n < *cap)
		return 0;
	size_t want = *cap == 0 ? 16 : 2 * *cap;
	struct target_spec *grown = reallocarray(*specs, want, sizeof(**specs));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	*specs = grown;
	*cap = want;
	return 0;
}

static int target_list_key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Records spec's key; *dup is set when an equal spec was added before.
 * Memory for the key is owned by the tree afterwards.
 */
static int target_list_remember(struct target_list *list, const struct target_spec *spec, bool *dup)
{
	char *key = NULL;
	if (asprintf(&key, "%d %s/%u:%u", (int)spec->kind, spec->host, spec->prefix,
	             (unsigned)spec->port) < 0)
		return SA_ERROR_NOMEM;
	char **node = tsearch(key, &list->seen, target_list_key_cmp);
	if (node == NULL) {
		free(key);
		return SA_ERROR_NOMEM;
	}
	*dup = *node != key;
	if (*dup)
		free(key);
	return 0;
}

int target_list_add(struct target_list *list, const char *text, const char *source, char *err,
                    size_t errlen)
{
	char reason[TARGET_LIST_REASON_MAX];
	struct target_spec spec;
	int rc = target_parse(text, &spec, reason, sizeof(reason));
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", source, reason);
		return rc;
	}
	bool dup = false;
	rc = target_list_reserve(&list->specs, &list->specs_cap, list->nspecs);
	if (rc == 0)
		rc = target_list_remember(list, &spec, &dup);
	if (rc != 0 || dup) {
		target_spec_free(&spec);
		if (rc != 0)
			snprintf(err, errlen, "%s: out of memory", source);
		return rc;
	}
	list->specs[list->nspecs++] = spec;
	return 0;
}

/*
 * One line without its newline into buf. Returns 1 for a line, 0 at the
 * end of input, or SA_ERROR_TOOBIG / SA_ERROR_PARSE (NUL) / SA_ERROR_IO.
 */
static int target_list_read_line(FILE *f, char *buf, size_t cap)
{
	size_t len = 0;
	int c;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			return SA_ERROR_PARSE;
		if (len + 1 == cap)
			return SA_ERROR_TOOBIG;
		buf[len++] = (char)c;
	}
	buf[len] = '\0';
	if (c == EOF && ferror(f))
		return SA_ERROR_IO;
	return c == EOF && len == 0 ? 0 : 1;
}

static int target_list_read_stream(FILE *f, const char *name, target_list_line_cb add, void *arg,
                                   char *err, size_t errlen)
{
	char line[TARGET_LIST_LINE_MAX] = "";
	for (size_t lineno = 1;; lineno++) {
		int rc = target_list_read_line(f, line, sizeof(line));
		switch (rc) {
		case 0:
			return 0;
		case 1:
			break;
		case SA_ERROR_TOOBIG:
			snprintf(err, errlen, "%s:%zu: line longer than %d bytes", name, lineno,
			         TARGET_LIST_LINE_MAX - 1);
			return rc;
		case SA_ERROR_PARSE:
			snprintf(err, errlen, "%s:%zu: NUL byte in line", name, lineno);
			return rc;
		default:
			assert(rc == SA_ERROR_IO);
			snprintf(err, errlen, "cannot read '%s': %s", name, strerror(errno));
			return rc;
		}
		const char *text = text_line_strip(line);
		if (*text == '\0')
			continue;
		char source[TARGET_LIST_REASON_MAX];
		snprintf(source, sizeof(source), "%s:%zu", name, lineno);
		rc = add(arg, text, source, err, errlen);
		if (rc != 0)
			return rc;
	}
}

int target_list_read_file(const char *path, target_list_line_cb add, void *arg, char *err,
                          size_t errlen)
{
	if (strcmp(path, "-") == 0)
		return target_list_read_stream(stdin, "stdin", add, arg, err, errlen);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return SA_ERROR_IO;
	}
	int rc = target_list_read_stream(f, path, add, arg, err, errlen);
	fclose(f);
	return rc;
}

static int target_list_add_line(void *arg, const char *text, const char *source, char *err,
                                size_t errlen)
{
	return target_list_add(arg, text, source, err, errlen);
}

int target_list_add_file(struct target_list *list, const char *path, char *err, size_t errlen)
{
	return target_list_read_file(path, target_list_add_line, list, err, errlen);
}

static int target_list_exclude_one(struct target_list *list, const char *text, char *err,
                                   size_t errlen)
{
	char reason[TARGET_LIST_REASON_MAX];
	struct target_spec spec;
	int rc = target_parse(text, &spec, reason, sizeof(reason));
	if (rc != 0) {
		snprintf(err, errlen, "exclusion: %s", reason);
		return rc;
	}
	if (spec.port != 0) {
		snprintf(err, errlen,
		         "exclusion %s:%u cannot have a port: exclusions apply to every port",
		         spec.host, (unsigned)spec.port);
		target_spec_free(&spec);
		return SA_ERROR_PARSE;
	}
	rc = target_list_reserve(&list->excludes, &list->excludes_cap, list->nexcludes);
	if (rc != 0) {
		target_spec_free(&spec);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	list->excludes[list->nexcludes++] = spec;
	return 0;
}

int target_list_exclude(struct target_list *list, const char *text, char *err, size_t errlen)
{
	const char *end = text + strlen(text);
	for (const char *s = text; s <= end;) {
		const char *comma = strchr(s, ',');
		const char *stop = comma != NULL ? comma : end;
		while (s < stop && isspace((unsigned char)*s))
			s++;
		const char *last = stop;
		while (last > s && isspace((unsigned char)last[-1]))
			last--;
		if (last == s) {
			snprintf(err, errlen, "empty element in exclusion list");
			return SA_ERROR_PARSE;
		}
		char *elem = strndup(s, (size_t)(last - s));
		if (elem == NULL) {
			snprintf(err, errlen, "out of memory");
			return SA_ERROR_NOMEM;
		}
		int rc = target_list_exclude_one(list, elem, err, errlen);
		free(elem);
		if (rc != 0)
			return rc;
		s = stop + 1;
	}
	return 0;
}

static unsigned target_list_host_bits(const struct target_spec *spec)
{
	return (spec->addr.family == AF_INET ? 32 : 128) - spec->prefix;
}

static int target_list_too_big(const struct target_spec *spec, uint64_t max, char *err,
                               size_t errlen)
{
	uint64_t count = target_spec_count(spec);
	if (count == UINT64_MAX)
		snprintf(err, errlen,
		         "%s/%u is 2^%u addresses, over --max-targets %" PRIu64
		         " (raise --max-targets to scan it)",
		         spec->host, spec->prefix, target_list_host_bits(spec), max);
	else
		snprintf(err, errlen,
		         "%s/%u is %" PRIu64 " addresses, over --max-targets %" PRIu64
		         " (raise --max-targets to scan it)",
		         spec->host, spec->prefix, count, max);
	return SA_ERROR_TOOBIG;
}

int target_list_check(const struct target_list *list, uint64_t max, uint64_t *total, char *err,
                      size_t errlen)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < list->nspecs; i++) {
		const struct target_spec *spec = &list->specs[i];
		uint64_t count = target_spec_count(spec);
		if (spec->kind == TARGET_CIDR && count > max)
			return target_list_too_big(spec, max, err, errlen);
		sum = count > UINT64_MAX - sum ? UINT64_MAX : sum + count;
	}
	if (total != NULL)
		*total = sum;
	if (sum > max) {
		snprintf(err, errlen,
		         "the targets add up to %" PRIu64
		         " addresses and names, over --max-targets "
		         "%" PRIu64 " (raise --max-targets or split the list)",
		         sum, max);
		return SA_ERROR_TOOBIG;
	}
	return 0;
}

uint64_t target_list_estimate(const struct target_list *list, size_t nports)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < list->nspecs; i++) {
		const struct target_spec *spec = &list->specs[i];
		uint64_t count = target_spec_count(spec) * (spec->port != 0 ? 1 : nports);
		sum = count > UINT64_MAX - sum ? UINT64_MAX : sum + count;
	}
	return sum;
}

void target_iter_init(struct target_iter *it)
{
	*it = (struct target_iter){.spec = 0};
}

static const struct target_spec *target_list_address_exclusion(const struct target_list *list,
                                                               const struct target_addr *addr)
{
	for (size_t i = 0; i < list->nexcludes; i++) {
		if (target_spec_contains(&list->excludes[i], addr))
			return &list->excludes[i];
	}
	return NULL;
}

bool target_list_excluded(const struct target_list *list, const struct target_addr *addr,
                          const char *name)
{
	if (addr != NULL && target_list_address_exclusion(list, addr) != NULL)
		return true;
	for (size_t i = 0; name != NULL && i < list->nexcludes; i++) {
		const struct target_spec *ex = &list->excludes[i];
		if (ex->kind == TARGET_NAME && strcasecmp(ex->host, name) == 0)
			return true;
	}
	return false;
}

/* ---- could an address and port come up twice? ---- */

/* One address or block as a closed range of addresses on one port (0: every --ports port). */
struct target_list_range {
	uint16_t port;
	int family;
	uint8_t first[16], last[16];
};

static void target_list_range_of(const struct target_spec *spec, struct target_list_range *r)
{
	unsigned nbytes = spec->addr.family == AF_INET ? 4 : 16;
	*r = (struct target_list_range){.port = spec->port, .family = spec->addr.family};
	memcpy(r->first, spec->addr.bytes, nbytes);
	memcpy(r->last, spec->addr.bytes, nbytes);
	for (unsigned bit = spec->prefix; bit < nbytes * 8; bit++)
		r->last[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

/* Families, then addresses: IPv4 ranges compare on their first 4 bytes, the rest being 0. */
static int target_list_addr_cmp(int fa, const uint8_t *a, int fb, const uint8_t *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, 16);
}

static int target_list_range_cmp(const void *pa, const void *pb)
{
	const struct target_list_range *a = pa, *b = pb;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return target_list_addr_cmp(a->family, a->first, b->family, b->first);
}

/* Sorted by first address, ranges of one port are disjoint when each starts past the last end. */
static bool target_list_overlap_sorted(const struct target_list_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (r[i].port != r[i - 1].port || r[i].family != r[i - 1].family)
			continue;
		if (memcmp(r[i].first, r[i - 1].last, 16) <= 0)
			return true;
	}
	return false;
}

/* Does r overlap one of the sorted, disjoint ranges all[0 .. n-1]? */
static bool target_list_overlaps_any(const struct target_list_range *r,
                                     const struct target_list_range *all, size_t n)
{
	size_t lo = 0, hi = n; /* the first range that starts after r ends */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (target_list_addr_cmp(all[mid].family, all[mid].first, r->family, r->last) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	const struct target_list_range *before = &all[lo - 1];
	return target_list_addr_cmp(before->family, before->last, r->family, r->first) >= 0;
}

bool target_list_may_repeat(const struct target_list *list)
{
	for (size_t i = 0; i < list->nspecs; i++)
		if (list->specs[i].kind == TARGET_NAME)
			return true;
	if (list->nspecs < 2)
		return false;
	struct target_list_range *r = calloc(list->nspecs, sizeof(*r));
	if (r == NULL)
		return true;
	for (size_t i = 0; i < list->nspecs; i++)
		target_list_range_of(&list->specs[i], &r[i]);
	qsort(r, list->nspecs, sizeof(*r), target_list_range_cmp);
	/* Every port-0 range (every --ports port) sorts first; ranges of one port must not meet. */
	size_t nall = 0;
	while (nall < list->nspecs && r[nall].port == 0)
		nall++;
	bool repeat = target_list_overlap_sorted(r, list->nspecs);
	for (size_t i = nall; !repeat && nall > 0 && i < list->nspecs; i++)
		repeat = target_list_overlaps_any(&r[i], r, nall);
	free(r);
	return repeat;
}

/* The low 64 bits of an address, as a number. */
static uint64_t target_list_low_bits(const struct target_addr *addr)
{
	unsigned nbytes = addr->family == AF_INET ? 4 : 16;
	uint64_t v = 0;
	for (unsigned i = nbytes > 8 ? nbytes - 8 : 0; i < nbytes; i++)
		v = v << 8 | addr->bytes[i];
	return v;
}

/*
 * Moves the iterator past the block of exclusion ex that holds addr, the
 * address at it->index of spec (count addresses in all). When ex holds
 * all of spec, the end of its block lies past the end of spec.
 */
static void target_list_skip_block(struct target_iter *it, uint64_t count,
                                   const struct target_spec *ex, const struct target_addr *addr)
{
	unsigned host_bits = target_list_host_bits(ex);
	/* A block of 2^64 addresses or more reaches past every index an iterator can hold. */
	if (host_bits >= 64) {
		it->index = count;
		return;
	}
	uint64_t size = UINT64_C(1) << host_bits;
	uint64_t left = size - (target_list_low_bits(addr) & (size - 1));
	it->index = left >= count - it->index ? count : it->index + left;
}

bool target_list_next(const struct target_list *list, struct target_iter *it,
                      struct target_item *out)
{
	while (it->spec < list->nspecs) {
		const struct target_spec *spec = &list->specs[it->spec];
		uint64_t count = target_spec_count(spec);
		if (it->index >= count) {
			it->spec++;
			it->index = 0;
			continue;
		}
		if (spec->kind == TARGET_NAME) {
			it->index++;
			if (target_list_excluded(list, NULL, spec->host))
				continue;
			*out = (struct target_item){.spec = spec,
			                            .kind = TARGET_NAME,
			                            .host = spec->host,
			                            .port = spec->port};
			return true;
		}
		struct target_addr addr;
		target_spec_nth(spec, it->index, &addr);
		const struct target_spec *ex = target_list_address_exclusion(list, &addr);
		if (ex != NULL) {
			target_list_skip_block(it, count, ex, &addr);
			continue;
		}
		it->index++;
		*out = (struct target_item){
		    .spec = spec,
		    .kind = TARGET_ADDRESS,
		    .host = spec->kind == TARGET_ADDRESS
		                ? spec->host
		                : target_addr_str(&addr, it->host_buf, sizeof(it->host_buf)),
		    .addr = addr,
		    .port = spec->port};
		return true;
	}
	return false;
}
