/*
 * NAME
 *	lab_farm - a fleet of simulated mail servers on consecutive loopback addresses
 *
 * SUMMARY
 *	struct lab_farm farm = {.count = 5000};
 *	lab_farm_set_base(&farm, "127.0.1.1", &why);
 *	lab_farm_set_mix(&farm, "hardened=70,open-relay=10,lax-helo=20", &why);
 *	lab_farm_check(&farm, &why);
 *	lab_farm_specs(&farm, port, specs);      fills count listen specs
 *
 * DESCRIPTION
 *	Farm address i is base + i as a 32-bit number, so 127.0.1.255 is
 *	followed by 127.0.2.0. Linux routes all of 127.0.0.0/8 to the
 *	loopback interface, so every address of the range can be bound
 *	without setting anything up. The range must lie within 127.0.0.1 -
 *	127.255.255.254 (not the network or the broadcast address): the farm
 *	never touches a real network.
 *
 *	Personas are dealt by smooth weighted round robin over the mix, in
 *	the order it was given: address i gets the persona whose credit is
 *	highest after every persona has gained its weight, and that persona
 *	pays the total weight back. The assignment depends on the mix and i
 *	only, so the same mix gives the same personas on every start, every
 *	prefix of the farm follows the weights, and each persona's count
 *	among the first n addresses is n * weight / total rounded up or down.
 *
 * DIAGNOSTICS
 *	The setters and lab_farm_check() return 0 or SA_ERROR_INVAL with a
 *	static phrase saying what is wrong in *why.
 */
#ifndef LAB_FARM_H
#define LAB_FARM_H

#include <stddef.h>
#include <stdint.h>

#include "lab_persona.h"
#include "lab_server.h"

#define LAB_FARM_MAX_COUNT  1000000u
#define LAB_FARM_MAX_WEIGHT 1000000u
#define LAB_FARM_MIX_MAX    32
#define LAB_FARM_BASE       "127.0.1.1"
#define LAB_FARM_PORT       2525
#define LAB_FARM_MIX        "hardened=70,open-relay=10,auth-before-tls=10,lax-helo=10"

struct lab_farm_share {
	const struct lab_persona *persona;
	unsigned weight;
};

struct lab_farm {
	size_t count;
	uint32_t base; /* host byte order */
	struct lab_farm_share mix[LAB_FARM_MIX_MAX];
	size_t nmix;
};

/* A numeric IPv4 address inside 127.0.0.0/8. */
int lab_farm_set_base(struct lab_farm *farm, const char *text, const char **why);

/* "PERSONA=WEIGHT[,PERSONA=WEIGHT...]": known personas, each once, weights 1 to the maximum. */
int lab_farm_set_mix(struct lab_farm *farm, const char *text, const char **why);

/* The whole range base .. base + count - 1 stays inside 127.0.0.1 - 127.255.255.254. */
int lab_farm_check(const struct lab_farm *farm, const char **why);

/* Fills specs[0 .. count-1]: address base + i, the port, the dealt persona, plain. */
void lab_farm_specs(const struct lab_farm *farm, uint16_t port, struct lab_listen_spec *specs);

#endif
