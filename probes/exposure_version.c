/*
 * NAME
 *	exposure_version - the software name and version one line of a reply discloses
 *
 * DESCRIPTION
 *	See exposure_version.h. Products are matched case-insensitively
 *	because HELP texts spell them freely ("This is sendmail version",
 *	"This is Sendmail version"); the whole-word rule keeps host names such
 *	as postfix.example.org or exim-relay out. A dot that ends a sentence
 *	("This is OpenSMTPD.") still ends the word.
 */
#include "exposure_version.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Canonical spellings; a name that contains another comes first. */
static const char *const exposure_version_products[] = {
    "Microsoft Exchange Internet Mail Service",
    "Microsoft ESMTP MAIL Service",
    "Microsoft Exchange",
    "Postfix",
    "Exim",
    "Sendmail",
    "OpenSMTPD",
    "Kerio Connect",
    "MDaemon",
    "IceWarp",
    "CommuniGate Pro",
    "Lotus Domino",
    "IBM Domino",
    "HCL Domino",
    "Haraka",
    "hMailServer",
    "MailEnable",
    "SmarterMail",
    "Axigen",
    "Zimbra",
    "Courier",
    "qmail",
    "XMail",
    "ArGoSoft Mail Server",
    "Sun Java System Messaging Server",
    "Oracle Communications Messaging Server",
    "Dovecot",
};

/* Words that may stand between a product and its version ("Domino Release 8.5.3"). */
static const char *const exposure_version_words[] = {"version", "ver", "release", "build"};

#define EXPOSURE_VERSION_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool exposure_version_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool exposure_version_alnum(char c)
{
	return exposure_version_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool exposure_version_word_char(char c)
{
	return exposure_version_alnum(c) || c == '-' || c == '_';
}

static bool exposure_version_starts_word(const char *line, const char *p)
{
	return p == line || !(exposure_version_word_char(p[-1]) || p[-1] == '.');
}

/* A word that goes on with more word characters, or with a dot and more, is a host name. */
static bool exposure_version_ends_word(const char *p)
{
	if (exposure_version_word_char(*p))
		return false;
	return !(*p == '.' && exposure_version_alnum(p[1]));
}

static bool exposure_version_separator(char c)
{
	return c == ' ' || c == '\t' || c == ':' || c == ',' || c == '/' || c == '(';
}

/* Length of a connecting word at p ("Version", "ver."), 0 if there is none. */
static size_t exposure_version_word(const char *p)
{
	for (size_t i = 0; i < EXPOSURE_VERSION_COUNT_OF(exposure_version_words); i++) {
		size_t len = strlen(exposure_version_words[i]);
		if (strncasecmp(p, exposure_version_words[i], len) == 0 &&
		    !exposure_version_alnum(p[len]))
			return len + (p[len] == '.');
	}
	return 0;
}

/* Length of a version at p ("4.96", "8.5.3FP6"), 0 if there is none. */
static size_t exposure_version_token(const char *p)
{
	if (!exposure_version_digit(*p))
		return 0;
	size_t n = 0;
	bool dotted = false;
	while (exposure_version_digit(p[n]) || (p[n] == '.' && exposure_version_digit(p[n + 1]))) {
		dotted |= p[n] == '.';
		n++;
	}
	if (!dotted)
		return 0;
	while (exposure_version_alnum(p[n]))
		n++;
	return n;
}

/* The version within reach of p (the end of a name); its length, 0 if there is none. */
static size_t exposure_version_after(const char *p, const char **start)
{
	const char *from = p;
	bool word_used = false;
	while (p - from <= EXPOSURE_VERSION_GAP) {
		size_t word = word_used ? 0 : exposure_version_word(p);
		if (exposure_version_separator(*p)) {
			p++;
		} else if (word > 0) {
			p += word;
			word_used = true;
		} else {
			break;
		}
	}
	if (p - from > EXPOSURE_VERSION_GAP)
		return 0;
	if ((*p == 'v' || *p == 'V') && exposure_version_digit(p[1]))
		p++;
	*start = p;
	return exposure_version_token(p);
}

static void exposure_version_take(struct exposure_version *out, const char *product,
                                  const char *version, size_t len)
{
	if (len >= sizeof(out->version))
		len = sizeof(out->version) - 1;
	out->product = product;
	memcpy(out->version, version, len);
	out->version[len] = '\0';
}

/* Every whole-word occurrence of name; true with *out set when one carries a version. */
static bool exposure_version_product(const char *line, const char *name,
                                     struct exposure_version *out)
{
	size_t len = strlen(name);
	for (const char *p = strcasestr(line, name); p != NULL; p = strcasestr(p + 1, name)) {
		if (!exposure_version_starts_word(line, p) || !exposure_version_ends_word(p + len))
			continue;
		const char *version;
		size_t n = exposure_version_after(p + len, &version);
		if (n > 0) {
			exposure_version_take(out, name, version, n);
			return true;
		}
		if (out->product == NULL)
			out->product = name;
	}
	return false;
}

bool exposure_version_scan(const char *line, struct exposure_version *out)
{
	*out = (struct exposure_version){0};
	for (size_t i = 0; i < EXPOSURE_VERSION_COUNT_OF(exposure_version_products); i++)
		if (exposure_version_product(line, exposure_version_products[i], out))
			return true;
	if (out->product != NULL)
		return true;
	static const char word[] = "version";
	for (const char *p = strcasestr(line, word); p != NULL; p = strcasestr(p + 1, word)) {
		if (!exposure_version_starts_word(line, p))
			continue;
		const char *version;
		size_t n = exposure_version_after(p + sizeof(word) - 1, &version);
		if (n > 0) {
			exposure_version_take(out, EXPOSURE_VERSION_UNNAMED, version, n);
			return true;
		}
	}
	return false;
}
