/*
 * NAME
 *	probe_registry - table of every probe module, built from PROBE_LIST
 */
#include "probe_registry.h"

#include <string.h>

#define PROBE_DECLARE(name) extern const struct probe probe_##name;
PROBE_LIST(PROBE_DECLARE)
#undef PROBE_DECLARE

static const struct probe *const probe_registry_table[] = {
#define PROBE_ENTRY(name) &probe_##name,
	PROBE_LIST(PROBE_ENTRY)
#undef PROBE_ENTRY
};

const struct probe *const *probe_registry_all(size_t *count)
{
	*count = sizeof(probe_registry_table) / sizeof(probe_registry_table[0]);
	return probe_registry_table;
}

const struct probe *probe_registry_find(const char *name)
{
	size_t n;
	const struct probe *const *all = probe_registry_all(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
