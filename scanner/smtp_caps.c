/*
 * NAME
 *	smtp_caps - parse an EHLO reply into the server's capabilities
 *
 * DESCRIPTION
 *	Each line after the first is split into words the way Postfix's SMTP
 *	client does (space, tab and '=' separate), the first word is looked up
 *	in the extension table, and AUTH and SIZE read their parameters. What
 *	is not understood is kept verbatim, up to SMTP_CAPS_MAX_UNKNOWN entries
 *	per list, so a report can show exactly what the server said.
 *
 * DIAGNOSTICS
 *	smtp_caps_parse() returns SA_ERROR_INVAL for a reply that is not 250
 *	and SA_ERROR_NOMEM on allocation failure; nothing else fails.
 */
#include "smtp_caps.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

static const char *const smtp_ext_names[] = {
#define SMTP_EXT_NAME(name, keyword) [SMTP_EXT_##name] = (keyword),
    SMTP_EXT_MAP(SMTP_EXT_NAME)
#undef SMTP_EXT_NAME
};
_Static_assert(sizeof(smtp_ext_names) / sizeof(smtp_ext_names[0]) == SMTP_EXT_COUNT,
               "one keyword per extension");

static const char *const smtp_auth_names[] = {
#define SMTP_AUTH_NAME(name, text) [SMTP_AUTH_##name] = (text),
    SMTP_AUTH_MAP(SMTP_AUTH_NAME)
#undef SMTP_AUTH_NAME
};
_Static_assert(sizeof(smtp_auth_names) / sizeof(smtp_auth_names[0]) == SMTP_AUTH_COUNT,
               "one name per mechanism");

static const char caps_word_delims[] = " \t=";

const char *smtp_ext_name(enum smtp_ext ext)
{
	assert((unsigned)ext < SMTP_EXT_COUNT);
	return smtp_ext_names[ext];
}

const char *smtp_auth_name(enum smtp_auth mech)
{
	assert((unsigned)mech < SMTP_AUTH_COUNT);
	return smtp_auth_names[mech];
}

static bool caps_same_word(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

static bool caps_table_lookup(const char *const *table, size_t n, const char *word, size_t len,
                              size_t *index)
{
	for (size_t i = 0; i < n; i++) {
		if (caps_same_word(table[i], strlen(table[i]), word, len)) {
			*index = i;
			return true;
		}
	}
	return false;
}

bool smtp_ext_lookup(const char *keyword, size_t len, enum smtp_ext *out)
{
	size_t i;
	if (!caps_table_lookup(smtp_ext_names, SMTP_EXT_COUNT, keyword, len, &i))
		return false;
	*out = (enum smtp_ext)i;
	return true;
}

bool smtp_auth_lookup(const char *name, size_t len, enum smtp_auth *out)
{
	size_t i;
	if (!caps_table_lookup(smtp_auth_names, SMTP_AUTH_COUNT, name, len, &i))
		return false;
	*out = (enum smtp_auth)i;
	return true;
}

static const char *caps_skip_delims(const char *s)
{
	return s + strspn(s, caps_word_delims);
}

/* Appends a copy of len bytes to a list bounded by SMTP_CAPS_MAX_UNKNOWN. */
static int caps_keep(char ***list, size_t *n, size_t *dropped, const char *s, size_t len)
{
	if (*n == SMTP_CAPS_MAX_UNKNOWN) {
		(*dropped)++;
		return 0;
	}
	char **grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	*list = grown;
	grown[*n] = strndup(s, len);
	if (grown[*n] == NULL)
		return SA_ERROR_NOMEM;
	(*n)++;
	return 0;
}

static int caps_keep_unknown_line(struct smtp_caps *caps, const char *line)
{
	return caps_keep(&caps->unknown, &caps->nunknown, &caps->unknown_dropped, line,
	                 strlen(line));
}

static int caps_keep_unknown_mech(struct smtp_caps *caps, const char *name, size_t len)
{
	for (size_t i = 0; i < caps->nauth_unknown; i++) {
		const char *kept = caps->auth_unknown[i];
		if (caps_same_word(kept, strlen(kept), name, len))
			return 0;
	}
	return caps_keep(&caps->auth_unknown, &caps->nauth_unknown, &caps->auth_unknown_dropped,
	                 name, len);
}

static int caps_take_auth(struct smtp_caps *caps, const char *params)
{
	const char *s = caps_skip_delims(params);
	while (*s != '\0') {
		size_t len = strcspn(s, caps_word_delims);
		enum smtp_auth mech;
		if (smtp_auth_lookup(s, len, &mech)) {
			caps->auth |= 1u << mech;
		} else {
			int rc = caps_keep_unknown_mech(caps, s, len);
			if (rc < 0)
				return rc;
		}
		s = caps_skip_delims(s + len);
	}
	return 0;
}

/* RFC 1870: "SIZE" [SP 1*DIGIT]; false when malformed or beyond uint64_t. */
static bool caps_parse_size(const char *params, uint64_t *size)
{
	uint64_t value = 0;
	const char *s = params;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned digit = (unsigned)(*s - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	if (*caps_skip_delims(s) != '\0')
		return false;
	*size = value;
	return true;
}

static int caps_take_line(struct smtp_caps *caps, const char *line)
{
	const char *keyword = caps_skip_delims(line);
	size_t len = strcspn(keyword, caps_word_delims);
	const char *params = caps_skip_delims(keyword + len);
	enum smtp_ext ext;
	if (!smtp_ext_lookup(keyword, len, &ext))
		return caps_keep_unknown_line(caps, line);
	if (ext == SMTP_EXT_SIZE && !caps_parse_size(params, &caps->size_limit))
		return caps_keep_unknown_line(caps, line);
	if (ext == SMTP_EXT_AUTH) {
		int rc = caps_take_auth(caps, params);
		if (rc < 0)
			return rc;
	}
	caps->ext |= 1u << ext;
	return 0;
}

static int caps_take_server_name(struct smtp_caps *caps, const char *line)
{
	const char *name = line + strspn(line, " \t");
	size_t len = strcspn(name, " \t");
	if (len == 0)
		return 0;
	caps->server_name = strndup(name, len);
	return caps->server_name != NULL ? 0 : SA_ERROR_NOMEM;
}

int smtp_caps_parse(const struct smtp_reply *reply, struct smtp_caps *out)
{
	*out = (struct smtp_caps){0};
	if (reply->code != 250)
		return SA_ERROR_INVAL;
	if (reply->nlines == 0)
		return 0;
	int rc = caps_take_server_name(out, reply->lines[0]);
	for (size_t i = 1; rc == 0 && i < reply->nlines; i++)
		rc = caps_take_line(out, reply->lines[i]);
	if (rc < 0)
		smtp_caps_free(out);
	return rc;
}

static void caps_free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void smtp_caps_free(struct smtp_caps *caps)
{
	free(caps->server_name);
	caps_free_list(caps->unknown, caps->nunknown);
	caps_free_list(caps->auth_unknown, caps->nauth_unknown);
	*caps = (struct smtp_caps){0};
}

static int caps_copy_list(char ***dst, size_t *dst_n, char *const *src, size_t n)
{
	if (n == 0)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (*dst == NULL)
		return SA_ERROR_NOMEM;
	for (; *dst_n < n; (*dst_n)++) {
		(*dst)[*dst_n] = strdup(src[*dst_n]);
		if ((*dst)[*dst_n] == NULL)
			return SA_ERROR_NOMEM;
	}
	return 0;
}

int smtp_caps_copy(struct smtp_caps *dst, const struct smtp_caps *src)
{
	*dst = (struct smtp_caps){
	    .ext = src->ext,
	    .auth = src->auth,
	    .size_limit = src->size_limit,
	    .unknown_dropped = src->unknown_dropped,
	    .auth_unknown_dropped = src->auth_unknown_dropped,
	};
	int rc = 0;
	if (src->server_name != NULL && (dst->server_name = strdup(src->server_name)) == NULL)
		rc = SA_ERROR_NOMEM;
	if (rc == 0)
		rc = caps_copy_list(&dst->unknown, &dst->nunknown, src->unknown, src->nunknown);
	if (rc == 0)
		rc = caps_copy_list(&dst->auth_unknown, &dst->nauth_unknown, src->auth_unknown,
		                    src->nauth_unknown);
	if (rc < 0)
		smtp_caps_free(dst);
	return rc;
}

const char *smtp_auth_list(uint32_t set, char *buf, size_t buflen)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int a = 0; a < SMTP_AUTH_COUNT && used < buflen; a++)
		if ((set >> a) & 1u)
			used += (size_t)snprintf(buf + used, buflen - used, "%s%s", used ? " " : "",
						 smtp_auth_name((enum smtp_auth)a));
	if (used == 0)
		snprintf(buf, buflen, "none");
	return buf;
}
