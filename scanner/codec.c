/*
 * NAME
 *	codec - base64 and SHA-256 through mbedTLS
 */
#include "codec.h"

#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>

#include <stdio.h>
#include <stdlib.h>

#include "sa_error.h"

char *codec_base64_encode(const void *data, size_t len)
{
	size_t need = 0;
	(void)mbedtls_base64_encode(NULL, 0, &need, data, len);
	unsigned char *out = malloc(need + 1);
	if (out == NULL)
		return NULL;
	size_t written = 0;
	if (mbedtls_base64_encode(out, need + 1, &written, data, len) != 0) {
		free(out);
		return NULL;
	}
	out[written] = '\0';
	return (char *)out;
}

int codec_base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	size_t need = 0;
	int rc = mbedtls_base64_decode(NULL, 0, &need, (const unsigned char *)text, len);
	if (rc == MBEDTLS_ERR_BASE64_INVALID_CHARACTER)
		return SA_ERROR_PARSE;
	unsigned char *buf = malloc(need + 1);
	if (buf == NULL)
		return SA_ERROR_NOMEM;
	if (mbedtls_base64_decode(buf, need + 1, outlen, (const unsigned char *)text, len) != 0) {
		free(buf);
		return SA_ERROR_PARSE;
	}
	buf[*outlen] = '\0';
	*out = buf;
	return 0;
}

void codec_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char digest[32];
	mbedtls_sha256_ret(data, len, digest, 0);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}
