/*
 * NAME
 *	exposure_version - the software name and version one line of a reply discloses
 *
 * SUMMARY
 *	struct exposure_version v;
 *	if (exposure_version_scan("This is sendmail version 8.15.2", &v))
 *		... v.product is "Sendmail", v.version is "8.15.2" ...
 *
 * DESCRIPTION
 *	Mail servers name themselves in their greeting, EHLO and HELP
 *	replies: "ESMTP Exim 4.96", "This is sendmail version 8.15.2",
 *	"Microsoft ESMTP MAIL Service, Version: 10.0.14393.0", "(Lotus Domino
 *	Release 8.5.3FP6)", "ESMTP Postfix (Debian/GNU)" (a product without a
 *	version). exposure_version_scan() looks in one line for a product
 *	from its table (a whole word or phrase, any case; a word that
 *	continues with '.', '-' or '_' is a host name such as postfix.example.org,
 *	not the product) and for a version close behind it: after at most
 *	EXPOSURE_VERSION_GAP bytes of blanks, ':', ',', '/', '(' and one of the
 *	words "version", "ver", "release", "build". A version is digits with
 *	at least one dot, optionally led by 'v' and followed by letters or
 *	digits ("4.96", "8.17.1.9", "v9.2.1", "8.5.3FP6"); a trailing dot is
 *	not part of it. A product named with a version wins over one named
 *	without. Without any product, the word "version" followed by a
 *	version still counts, as EXPOSURE_VERSION_UNNAMED.
 *
 *	mta(3) chooses remediation advice and trusts only the five products it
 *	advises on, spelled as in their banners; this module answers a
 *	different question (what is disclosed to anyone who connects) and so
 *	knows more products and the looser spellings of HELP texts.
 *
 *	The line is hostile text: the scan reads it once per table entry,
 *	never past its end, and keeps at most EXPOSURE_VERSION_MAX - 1 bytes
 *	of a version.
 */
#ifndef EXPOSURE_VERSION_H
#define EXPOSURE_VERSION_H

#include <stdbool.h>

#define EXPOSURE_VERSION_MAX 32
/* Separator bytes allowed between a product name and its version. */
#define EXPOSURE_VERSION_GAP 16
/* The product of a version disclosed without a recognised name. */
#define EXPOSURE_VERSION_UNNAMED "unidentified software"

struct exposure_version {
	const char *product;                /* canonical name; NULL when none is named */
	char version[EXPOSURE_VERSION_MAX]; /* "" when no version is disclosed */
};

/* True when line names a product or discloses a version; *out is always set. */
bool exposure_version_scan(const char *line, struct exposure_version *out);

#endif
