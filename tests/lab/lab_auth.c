/*
 * NAME
 *	lab_auth - SASL mechanisms as tables of challenges
 *
 * DESCRIPTION
 *	See lab_auth.h. A challenge function writes the text after "334 "
 *	and returns false only when memory ran out.
 */
#include "lab_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "codec.h"
#include "lab_ntlm.h"

#define LAB_AUTH_MAX_STEPS 2
#define LAB_AUTH_MECH_MAX  32

#define LAB_AUTH_OK_REPLY      "235 2.7.0 Authentication successful"
#define LAB_AUTH_FAIL_REPLY    "535 5.7.8 Error: authentication failed: authentication failure"
#define LAB_AUTH_TEMP_REPLY    "454 4.7.0 Temporary authentication failure"
#define LAB_AUTH_ABORT_REPLY   "501 5.7.0 Authentication aborted"
#define LAB_AUTH_UNKNOWN_REPLY "504 5.5.4 Unrecognized authentication type"

typedef bool (*lab_auth_challenge_fn)(const struct lab_auth_env *env, char *out, size_t outlen);

/* Looks at the client's answer to challenge step for the lab account; NULL: never succeeds. */
typedef void (*lab_auth_check_fn)(struct lab_auth *a, unsigned step, const char *answer);

struct lab_auth_mech {
	const char *name;
	lab_auth_challenge_fn challenges[LAB_AUTH_MAX_STEPS];
	unsigned nchallenges;
	bool succeeds;
	lab_auth_check_fn check;
};

static bool lab_auth_copy(char *out, size_t outlen, const char *text)
{
	snprintf(out, outlen, "%s", text);
	return true;
}

static bool lab_auth_copy_base64(char *out, size_t outlen, const void *data, size_t len)
{
	char *b64 = codec_base64_encode(data, len);
	if (b64 == NULL)
		return false;
	lab_auth_copy(out, outlen, b64);
	free(b64);
	return true;
}

static bool lab_auth_empty(const struct lab_auth_env *env, char *out, size_t outlen)
{
	(void)env;
	return lab_auth_copy(out, outlen, "");
}

static bool lab_auth_username(const struct lab_auth_env *env, char *out, size_t outlen)
{
	(void)env;
	return lab_auth_copy(out, outlen, "VXNlcm5hbWU6");
}

static bool lab_auth_password(const struct lab_auth_env *env, char *out, size_t outlen)
{
	(void)env;
	return lab_auth_copy(out, outlen, "UGFzc3dvcmQ6");
}

static bool lab_auth_cram(const struct lab_auth_env *env, char *out, size_t outlen)
{
	char text[300];
	int n = snprintf(text, sizeof(text), "<12345.67890@%s>", env->hostname);
	return lab_auth_copy_base64(out, outlen, text, (size_t)n);
}

static bool lab_auth_digest(const struct lab_auth_env *env, char *out, size_t outlen)
{
	unsigned char random[16] = {0};
	char text[400];
	/* A short read leaves zeros: the nonce only has to look real. */
	(void)getrandom(random, sizeof(random), 0);
	char *nonce = codec_base64_encode(random, sizeof(random));
	if (nonce == NULL)
		return false;
	int n = snprintf(text, sizeof(text),
	                 "realm=\"%s\",nonce=\"%s\",qop=\"auth\",charset=utf-8,algorithm=md5-sess",
	                 env->domain, nonce);
	free(nonce);
	return lab_auth_copy_base64(out, outlen, text, (size_t)n);
}

static bool lab_auth_ntlm_supported(const struct lab_auth_env *env, char *out, size_t outlen)
{
	(void)env;
	return lab_auth_copy(out, outlen, "NTLM supported");
}

static bool lab_auth_ntlm_challenge(const struct lab_auth_env *env, char *out, size_t outlen)
{
	(void)env;
	char *b64 = lab_ntlm_challenge_base64();
	if (b64 == NULL)
		return false;
	lab_auth_copy(out, outlen, b64);
	free(b64);
	return true;
}

/* Whether the base64 answer decodes to exactly len bytes of expected. */
static bool lab_auth_answer_is(const char *answer, const void *expected, size_t len)
{
	unsigned char *decoded = NULL;
	size_t n = 0;
	if (codec_base64_decode(answer, strlen(answer), &decoded, &n) != 0)
		return false;
	bool same = n == len && memcmp(decoded, expected, len) == 0;
	free(decoded);
	return same;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, the authzid empty or the user itself. */
static void lab_auth_check_plain(struct lab_auth *a, unsigned step, const char *answer)
{
	static const char bare[] = "\0" LAB_AUTH_USER "\0" LAB_AUTH_PASSWORD;
	static const char named[] = LAB_AUTH_USER "\0" LAB_AUTH_USER "\0" LAB_AUTH_PASSWORD;
	(void)step;
	a->proven = lab_auth_answer_is(answer, bare, sizeof(bare) - 1) ||
	            lab_auth_answer_is(answer, named, sizeof(named) - 1);
}

static void lab_auth_check_login(struct lab_auth *a, unsigned step, const char *answer)
{
	if (step == 0)
		a->user_ok = lab_auth_answer_is(answer, LAB_AUTH_USER, strlen(LAB_AUTH_USER));
	else
		a->proven = a->user_ok && lab_auth_answer_is(answer, LAB_AUTH_PASSWORD,
		                                             strlen(LAB_AUTH_PASSWORD));
}

static const struct lab_auth_mech lab_auth_mechs[] = {
    {.name = "PLAIN",
     .challenges = {lab_auth_empty},
     .nchallenges = 1,
     .check = lab_auth_check_plain},
    {.name = "LOGIN",
     .challenges = {lab_auth_username, lab_auth_password},
     .nchallenges = 2,
     .check = lab_auth_check_login},
    {.name = "ANONYMOUS", .challenges = {lab_auth_empty}, .nchallenges = 1, .succeeds = true},
    {.name = "CRAM-MD5", .challenges = {lab_auth_cram}, .nchallenges = 1},
    {.name = "DIGEST-MD5", .challenges = {lab_auth_digest}, .nchallenges = 1},
    {.name = "NTLM",
     .challenges = {lab_auth_ntlm_supported, lab_auth_ntlm_challenge},
     .nchallenges = 2},
};

static const struct lab_auth_mech *lab_auth_find(const char *name)
{
	for (size_t i = 0; i < sizeof(lab_auth_mechs) / sizeof(lab_auth_mechs[0]); i++)
		if (strcasecmp(lab_auth_mechs[i].name, name) == 0)
			return &lab_auth_mechs[i];
	return NULL;
}

/* Whether name is one of the space-separated words of list. */
static bool lab_auth_offered(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; *p != '\0';) {
		size_t word = strcspn(p, " ");
		if (word == len && strncasecmp(p, name, len) == 0)
			return true;
		p += word;
		p += strspn(p, " ");
	}
	return false;
}

static enum lab_auth_status lab_auth_reply(enum lab_auth_status st, const char *text, char *reply,
                                           size_t replylen)
{
	lab_auth_copy(reply, replylen, text);
	return st;
}

/* Sends the challenge of the current step, or the outcome once every one was answered. */
static enum lab_auth_status lab_auth_advance(struct lab_auth *a, const struct lab_auth_env *env,
                                             char *reply, size_t replylen)
{
	char challenge[LAB_AUTH_REPLY_MAX];
	if (a->step == a->mech->nchallenges)
		return a->mech->succeeds || a->proven
		           ? lab_auth_reply(LAB_AUTH_SUCCESS, LAB_AUTH_OK_REPLY, reply, replylen)
		           : lab_auth_reply(LAB_AUTH_FAILURE, LAB_AUTH_FAIL_REPLY, reply, replylen);
	if (!a->mech->challenges[a->step](env, challenge, sizeof(challenge)))
		return lab_auth_reply(LAB_AUTH_FAILURE, LAB_AUTH_TEMP_REPLY, reply, replylen);
	snprintf(reply, replylen, "334 %s", challenge);
	return LAB_AUTH_CONTINUE;
}

enum lab_auth_status lab_auth_begin(struct lab_auth *a, const char *offered, const char *args,
                                    const struct lab_auth_env *env, char *reply, size_t replylen)
{
	char name[LAB_AUTH_MECH_MAX];
	size_t len = strcspn(args, " ");
	*a = (struct lab_auth){0};
	if (len == 0 || len >= sizeof(name))
		return lab_auth_reply(LAB_AUTH_UNKNOWN, LAB_AUTH_UNKNOWN_REPLY, reply, replylen);
	memcpy(name, args, len);
	name[len] = '\0';
	a->mech = lab_auth_find(name);
	if (a->mech == NULL || !lab_auth_offered(offered, name))
		return lab_auth_reply(LAB_AUTH_UNKNOWN, LAB_AUTH_UNKNOWN_REPLY, reply, replylen);
	const char *initial = args + len;
	initial += strspn(initial, " ");
	if (*initial != '\0') {
		if (a->mech->check != NULL)
			a->mech->check(a, 0, initial);
		a->step = 1;
	}
	return lab_auth_advance(a, env, reply, replylen);
}

enum lab_auth_status lab_auth_next(struct lab_auth *a, const char *line,
                                   const struct lab_auth_env *env, char *reply, size_t replylen)
{
	if (strcmp(line, "*") == 0)
		return lab_auth_reply(LAB_AUTH_ABORTED, LAB_AUTH_ABORT_REPLY, reply, replylen);
	if (a->mech->check != NULL)
		a->mech->check(a, a->step, line);
	a->step++;
	return lab_auth_advance(a, env, reply, replylen);
}
