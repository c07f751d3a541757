/*
 * NAME
 *	lab_farm - the farm's address range and persona mix
 *
 * DESCRIPTION
 *	See lab_farm.h. Credits of the round robin stay within the total
 *	weight times the number of personas, far inside an int64_t.
 */
#include "lab_farm.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

#define LAB_FARM_NET      0x7f000000u /* 127.0.0.0 */
#define LAB_FARM_FIRST    0x7f000001u /* 127.0.0.1 */
#define LAB_FARM_LAST     0x7ffffffeu /* 127.255.255.254 */
#define LAB_FARM_NAME_MAX 64
#define LAB_FARM_DIGITS   7

static int lab_farm_fail(const char **why, const char *text)
{
	*why = text;
	return SA_ERROR_INVAL;
}

int lab_farm_set_base(struct lab_farm *farm, const char *text, const char **why)
{
	struct in_addr in;
	if (inet_pton(AF_INET, text, &in) != 1)
		return lab_farm_fail(why, "not a numeric IPv4 address");
	uint32_t base = ntohl(in.s_addr);
	if ((base & 0xff000000u) != LAB_FARM_NET)
		return lab_farm_fail(why, "outside 127.0.0.0/8: the farm lives on loopback only");
	farm->base = base;
	return 0;
}

static bool lab_farm_weight(const char *text, size_t len, unsigned *weight)
{
	char digits[LAB_FARM_DIGITS + 1];
	if (len == 0 || len > LAB_FARM_DIGITS)
		return false;
	memcpy(digits, text, len);
	digits[len] = '\0';
	if (strspn(digits, "0123456789") != len)
		return false;
	unsigned long n = strtoul(digits, NULL, 10);
	*weight = (unsigned)n;
	return n >= 1 && n <= LAB_FARM_MAX_WEIGHT;
}

static bool lab_farm_has(const struct lab_farm *farm, const struct lab_persona *persona)
{
	for (size_t i = 0; i < farm->nmix; i++)
		if (farm->mix[i].persona == persona)
			return true;
	return false;
}

/* One "PERSONA=WEIGHT" of len bytes. */
static int lab_farm_add_share(struct lab_farm *farm, const char *item, size_t len, const char **why)
{
	char name[LAB_FARM_NAME_MAX];
	const char *eq = memchr(item, '=', len);
	if (eq == NULL || eq == item || (size_t)(eq - item) >= sizeof(name))
		return lab_farm_fail(why, "expected PERSONA=WEIGHT[,PERSONA=WEIGHT...]");
	memcpy(name, item, (size_t)(eq - item));
	name[eq - item] = '\0';
	const struct lab_persona *persona = lab_persona_find(name);
	if (persona == NULL)
		return lab_farm_fail(why, "unknown persona (see --list-personas)");
	if (lab_farm_has(farm, persona))
		return lab_farm_fail(why, "a persona is named twice");
	if (farm->nmix == LAB_FARM_MIX_MAX)
		return lab_farm_fail(why, "too many personas");
	unsigned weight;
	if (!lab_farm_weight(eq + 1, len - (size_t)(eq + 1 - item), &weight))
		return lab_farm_fail(why, "a weight is a whole number from 1 to 1000000");
	farm->mix[farm->nmix++] = (struct lab_farm_share){.persona = persona, .weight = weight};
	return 0;
}

int lab_farm_set_mix(struct lab_farm *farm, const char *text, const char **why)
{
	farm->nmix = 0;
	for (const char *item = text;; item++) {
		size_t len = strcspn(item, ",");
		int rc = lab_farm_add_share(farm, item, len, why);
		if (rc != 0)
			return rc;
		item += len;
		if (*item == '\0')
			return 0;
	}
}

int lab_farm_check(const struct lab_farm *farm, const char **why)
{
	assert(farm->count > 0 && farm->count <= LAB_FARM_MAX_COUNT && farm->nmix > 0);
	if (farm->base < LAB_FARM_FIRST)
		return lab_farm_fail(why, "127.0.0.0 is the network address, start at 127.0.0.1");
	if ((uint64_t)farm->base + farm->count - 1 > LAB_FARM_LAST)
		return lab_farm_fail(why, "the range runs past 127.255.255.254");
	return 0;
}

/* Index into the mix of the persona address i gets, given the credits after address i-1. */
static size_t lab_farm_deal(const struct lab_farm *farm, int64_t *credit, int64_t total)
{
	size_t best = 0;
	for (size_t j = 0; j < farm->nmix; j++) {
		credit[j] += farm->mix[j].weight;
		if (credit[j] > credit[best])
			best = j;
	}
	credit[best] -= total;
	return best;
}

void lab_farm_specs(const struct lab_farm *farm, uint16_t port, struct lab_listen_spec *specs)
{
	int64_t credit[LAB_FARM_MIX_MAX] = {0};
	int64_t total = 0;
	for (size_t j = 0; j < farm->nmix; j++)
		total += farm->mix[j].weight;
	for (size_t i = 0; i < farm->count; i++) {
		size_t share = lab_farm_deal(farm, credit, total);
		specs[i] =
		    (struct lab_listen_spec){.persona = farm->mix[share].persona, .farm = true};
		struct sockaddr_in *sin = (struct sockaddr_in *)&specs[i].addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(farm->base + (uint32_t)i);
	}
}
