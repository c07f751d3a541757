/*
 * NAME
 *	lab_auth - the SASL exchanges of smtp-lab (one lab account, no other login succeeds)
 *
 * SUMMARY
 *	struct lab_auth a;
 *	st = lab_auth_begin(&a, "PLAIN LOGIN", "LOGIN", &env, reply, sizeof(reply));
 *	while (st == LAB_AUTH_CONTINUE) { send reply; st = lab_auth_next(&a, line, &env, reply,
 *...); } send reply;   (235, 535, 501 or 504)
 *
 * DESCRIPTION
 *	Each mechanism is a list of 334 challenges and a fixed outcome: PLAIN,
 *	LOGIN, CRAM-MD5, DIGEST-MD5 and NTLM fail with 535 after their last
 *	challenge is answered, ANONYMOUS always succeeds with 235. The one
 *	exception is the lab account, LAB_AUTH_USER with LAB_AUTH_PASSWORD:
 *	PLAIN and LOGIN answered with it succeed, so smtp-audit's
 *	auth_credentials probe can log in (personas decide whether they offer
 *	AUTH before TLS, and what a logged-in user may do). An
 *	initial response answers the first challenge, so "AUTH PLAIN <b64>"
 *	fails at once and "AUTH NTLM <NEGOTIATE>" gets the NTLM CHALLENGE.
 *	A "*" line cancels with 501. The challenges look like real servers':
 *	LOGIN's "Username:"/"Password:", a CRAM-MD5 msg-id, a DIGEST-MD5
 *	realm/nonce/qop/algorithm list and an NTLMSSP CHALLENGE (lab_ntlm).
 */
#ifndef LAB_AUTH_H
#define LAB_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define LAB_AUTH_REPLY_MAX 512
#define LAB_AUTH_USER      "alice@lab.test"
#define LAB_AUTH_PASSWORD  "Lab-Pw-7c41f9e2d08b"

enum lab_auth_status {
	LAB_AUTH_CONTINUE, /* reply is a 334 challenge; the next line goes to lab_auth_next() */
	LAB_AUTH_SUCCESS,  /* 235 */
	LAB_AUTH_FAILURE,  /* 535, or 454 when a challenge could not be made */
	LAB_AUTH_ABORTED,  /* 501 after "*" */
	LAB_AUTH_UNKNOWN,  /* 504: mechanism not offered */
};

struct lab_auth_env {
	const char *hostname;
	const char *domain;
};

struct lab_auth_mech;

struct lab_auth {
	const struct lab_auth_mech *mech;
	unsigned step;
	bool user_ok; /* LOGIN: the lab account's name was given */
	bool proven;  /* the lab account's credentials were given */
};

/* args: "<mechanism> [initial-response]"; offered: the mechanisms advertised right now. */
enum lab_auth_status lab_auth_begin(struct lab_auth *a, const char *offered, const char *args,
                                    const struct lab_auth_env *env, char *reply, size_t replylen);

/* One client line of an exchange in progress. */
enum lab_auth_status lab_auth_next(struct lab_auth *a, const char *line,
                                   const struct lab_auth_env *env, char *reply, size_t replylen);

#endif
