/*
 * NAME
 *	scan_doc - read a smtp-audit JSON report in integration tests
 *
 * DESCRIPTION
 *	See scan_doc.h.
 */
#include "scan_doc.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

const char *scan_doc_str(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : "";
}

json_t *scan_doc_target_on_port(json_t *doc, unsigned port)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(doc, "targets"), i, t)
	{
		if (json_integer_value(json_object_get(t, "port")) == (json_int_t)port)
			return t;
	}
	cr_assert_fail("no target on port %u", port);
	return NULL;
}

/* The element of doc's array whose string member key is value (asserts there is one). */
static json_t *scan_doc_element(json_t *doc, const char *array, const char *key, const char *value)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(doc, array), i, e)
	{
		if (strcmp(scan_doc_str(e, key), value) == 0)
			return e;
	}
	cr_assert_fail("no element of %s with %s %s", array, key, value);
	return NULL;
}

json_t *scan_doc_target_at(json_t *doc, const char *address)
{
	return scan_doc_element(doc, "targets", "address", address);
}

json_t *scan_doc_domain(json_t *doc, const char *name)
{
	return scan_doc_element(doc, "domains", "domain", name);
}

json_t *scan_doc_probe(json_t *t, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(t, "probes"), i, p)
	{
		if (strcmp(scan_doc_str(p, "name"), name) == 0)
			return p;
	}
	cr_assert_fail("probe %s missing", name);
	return NULL;
}

static int scan_doc_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *scan_doc_ids(json_t *t)
{
	json_t *findings = json_object_get(t, "findings");
	size_t n = json_array_size(findings);
	const char **ids = calloc(n + 1, sizeof(*ids));
	char *out = calloc(1, 32 * (n + 1) + 1);
	cr_assert(ids != NULL && out != NULL);
	for (size_t i = 0; i < n; i++)
		ids[i] = scan_doc_str(json_array_get(findings, i), "id");
	qsort(ids, n, sizeof(*ids), scan_doc_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
			continue;
		if (*out)
			strcat(out, ",");
		strncat(out, ids[i], 31);
	}
	free(ids);
	return out;
}

bool scan_doc_has_variant(json_t *t, const char *id, const char *variant)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(t, "findings"), i, f)
	{
		if (strcmp(scan_doc_str(f, "id"), id) == 0 &&
		    strcmp(scan_doc_str(f, "variant"), variant) == 0)
			return true;
	}
	return false;
}
