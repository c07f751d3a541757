/*
 * NAME
 *	mta - recognise the mail server software from what it says
 *
 * DESCRIPTION
 *	Three kinds of clue, from strong to weak:
 *
 *	banner (strength 2)	the product names itself in the greeting:
 *				"ESMTP Postfix", "ESMTP Exim 4.96", "ESMTP Sendmail
 *				8.15.2/8.15.2", "Microsoft ESMTP MAIL Service",
 *				"Microsoft Exchange", "ESMTP OpenSMTPD". A version
 *				that directly follows the name is kept.
 *	capabilities (1)	Exchange's private EHLO keywords: X-EXPS,
 *				XEXCH50, X-LINK2STATE, X-ANONYMOUSTLS.
 *	reply text (1)		the stock wording of each server's rejections:
 *				Postfix "Relay access denied", "Recipient address
 *				rejected", "Helo command rejected"; Exim "relay
 *				not permitted", "Administrative prohibition";
 *				Sendmail "Relaying denied"; Exchange "Unable to
 *				relay"; OpenSMTPD "Invalid recipient: <".
 *
 *	A clue replaces the guess only when it is stronger, or as strong and
 *	for the same product (which may add a version). A banner can be edited
 *	by the administrator, so a clue is a hint for choosing advice, never a
 *	finding by itself.
 */
#include "mta.h"

#include <stdbool.h>
#include <string.h>

#define MTA_STRENGTH_NONE   0
#define MTA_STRENGTH_WEAK   1
#define MTA_STRENGTH_BANNER 2

struct mta_clue {
	const char *text;
	enum mta mta;
};

/* Matched case-sensitively as whole words; product names are spelled this way by the products. */
static const struct mta_clue mta_banner_clues[] = {
    {.text = "Postfix", .mta = MTA_POSTFIX},
    {.text = "Exim", .mta = MTA_EXIM},
    {.text = "Sendmail", .mta = MTA_SENDMAIL},
    {.text = "Microsoft ESMTP MAIL Service", .mta = MTA_EXCHANGE},
    {.text = "Microsoft Exchange", .mta = MTA_EXCHANGE},
    {.text = "OpenSMTPD", .mta = MTA_OPENSMTPD},
};

/* Matched case-insensitively anywhere in a reply's text. */
static const struct mta_clue mta_reply_clues[] = {
    {.text = "Relay access denied", .mta = MTA_POSTFIX},
    {.text = "Recipient address rejected", .mta = MTA_POSTFIX},
    {.text = "Helo command rejected", .mta = MTA_POSTFIX},
    {.text = "relay not permitted", .mta = MTA_EXIM},
    {.text = "Administrative prohibition", .mta = MTA_EXIM},
    {.text = "Relaying denied", .mta = MTA_SENDMAIL},
    {.text = "Unable to relay", .mta = MTA_EXCHANGE},
    {.text = "Invalid recipient: <", .mta = MTA_OPENSMTPD},
};

static const enum smtp_ext mta_exchange_extensions[] = {
    SMTP_EXT_X_EXPS,
    SMTP_EXT_XEXCH50,
    SMTP_EXT_X_LINK2STATE,
    SMTP_EXT_X_ANONYMOUSTLS,
};

static const char *const mta_names[] = {
#define MTA_TEXT(name, text) [MTA_##name] = text,
    MTA_MAP(MTA_TEXT)
#undef MTA_TEXT
};
_Static_assert(sizeof(mta_names) / sizeof(mta_names[0]) == MTA_COUNT, "one name per mta");

#define MTA_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

void mta_guess_init(struct mta_guess *g)
{
	*g = (struct mta_guess){.mta = MTA_UNKNOWN, .strength = MTA_STRENGTH_NONE};
}

const char *mta_name(enum mta mta)
{
	if ((unsigned)mta >= MTA_COUNT)
		return mta_names[MTA_UNKNOWN];
	return mta_names[mta];
}

static void mta_guess_offer(struct mta_guess *g, enum mta mta, int strength, const char *version,
                            size_t version_len)
{
	if (strength < g->strength)
		return;
	if (strength == g->strength && g->mta != MTA_UNKNOWN && g->mta != mta)
		return;
	if (g->mta != mta)
		g->version[0] = '\0';
	g->mta = mta;
	g->strength = strength;
	if (version_len > 0) {
		if (version_len >= sizeof(g->version))
			version_len = sizeof(g->version) - 1;
		memcpy(g->version, version, version_len);
		g->version[version_len] = '\0';
	}
}

static bool mta_is_word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* First occurrence of word in text with no word character on either side; NULL if none. */
static const char *mta_find_word(const char *text, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
		bool starts = p == text || !mta_is_word_char(p[-1]);
		bool ends = !mta_is_word_char(p[len]);
		if (starts && ends)
			return p;
	}
	return NULL;
}

/* Length of a version ("4.96", "8.15.2") at p after optional blanks; *start receives where it
 * begins. */
static size_t mta_version_at(const char *p, const char **start)
{
	while (*p == ' ' || *p == '\t')
		p++;
	*start = p;
	if (*p < '0' || *p > '9')
		return 0;
	size_t n = 0;
	while ((p[n] >= '0' && p[n] <= '9') || p[n] == '.')
		n++;
	while (n > 0 && p[n - 1] == '.')
		n--;
	return n;
}

void mta_guess_banner(struct mta_guess *g, const char *banner)
{
	if (banner == NULL)
		return;
	for (size_t i = 0; i < MTA_COUNT_OF(mta_banner_clues); i++) {
		const struct mta_clue *clue = &mta_banner_clues[i];
		const char *at = mta_find_word(banner, clue->text);
		if (at == NULL)
			continue;
		const char *version;
		size_t len = mta_version_at(at + strlen(clue->text), &version);
		mta_guess_offer(g, clue->mta, MTA_STRENGTH_BANNER, version, len);
		return;
	}
}

void mta_guess_caps(struct mta_guess *g, const struct smtp_caps *caps)
{
	if (caps == NULL)
		return;
	for (size_t i = 0; i < MTA_COUNT_OF(mta_exchange_extensions); i++) {
		if (smtp_caps_has(caps, mta_exchange_extensions[i])) {
			mta_guess_offer(g, MTA_EXCHANGE, MTA_STRENGTH_WEAK, NULL, 0);
			return;
		}
	}
}

void mta_guess_reply(struct mta_guess *g, const char *text)
{
	if (text == NULL)
		return;
	for (size_t i = 0; i < MTA_COUNT_OF(mta_reply_clues); i++) {
		if (strcasestr(text, mta_reply_clues[i].text) != NULL) {
			mta_guess_offer(g, mta_reply_clues[i].mta, MTA_STRENGTH_WEAK, NULL, 0);
			return;
		}
	}
}
