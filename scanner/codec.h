/*
 * NAME
 *	codec - base64 and SHA-256, delegated to mbedTLS
 *
 * DESCRIPTION
 *	Pure layers (probes, reports) need base64 for SASL and SHA-256 for
 *	fingerprints but may not include mbedTLS headers; this module exposes
 *	the two operations without exposing the library.
 */
#ifndef CODEC_H
#define CODEC_H

#include <stddef.h>

/* Base64 of len bytes, NUL-terminated, malloc'ed; NULL on allocation failure. */
char *codec_base64_encode(const void *data, size_t len);

/*
 * Decodes base64 text into a malloc'ed buffer (NUL-terminated for
 * convenience; *outlen excludes the NUL). SA_ERROR_PARSE on bad input.
 */
int codec_base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);

/* Lower-case hex SHA-256 of len bytes into hex (at least 65 bytes). */
void codec_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
