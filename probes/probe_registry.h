/*
 * NAME
 *	probe_registry - the one place where probes are listed
 *
 * DESCRIPTION
 *	To add a probe, add its module name to PROBE_LIST and write
 *	probes/NAME.c exporting `const struct probe probe_NAME`. The name users
 *	type is the struct's .name; it differs from the module name only where
 *	the module name would collide with the probe API (starttls_posture is
 *	"starttls", as probe_starttls() is the API's STARTTLS). The order of the list is
 *	the order probes run on each target and appear in --list-probes.
 */
#ifndef PROBE_REGISTRY_H
#define PROBE_REGISTRY_H

#include <stddef.h>

#include "probe.h"

#define PROBE_LIST(X)                                                                              \
	X(inventory)                                                                               \
	X(open_relay)                                                                              \
	X(auth_before_tls)                                                                         \
	X(auth_anonymous)                                                                          \
	X(auth_weak_mechs)                                                                         \
	X(helo_validation)                                                                         \
	X(starttls_posture)                                                                        \
	X(starttls_injection)                                                                      \
	X(tls_params)                                                                              \
	X(certificate)                                                                             \
	X(user_enum)                                                                               \
	X(exposure)                                                                                \
	X(auth_credentials)

/* Every probe, in list order; *count receives their number. */
const struct probe *const *probe_registry_all(size_t *count);

/* The probe with that name, or NULL. */
const struct probe *probe_registry_find(const char *name);

#endif
