/*
 * NAME
 *	tls_suites - the cipher suites a server may negotiate, and what each is worth
 *
 * SUMMARY
 *	const struct tls_suite *s = tls_suites_find(0xc02f);
 *	if (s != NULL && (s->flags & TLS_SUITE_FS))
 *		printf("%s has forward secrecy\n", s->name);
 *	char text[TLS_SUITES_NAME_MAX];
 *	puts(tls_suites_name(id, text, sizeof(text)));   (IANA name, or "0xC0FF")
 *
 * DESCRIPTION
 *	One const table, sorted by id, holds every suite real servers
 *	negotiate: the five TLS 1.3 suites; ECDHE, DHE, static ECDH/DH and
 *	RSA key exchange with AES-GCM, AES-CCM, CHACHA20-POLY1305, ARIA-GCM,
 *	CAMELLIA-GCM, AES-CBC, CAMELLIA-CBC, SEED, IDEA, 3DES, DES and RC4;
 *	NULL encryption; anonymous DH and ECDH; the EXPORT suites of RFC
 *	2246 and the EXPORT1024 suites of draft-ietf-tls-56-bit-ciphersuites
 *	(0x0060-0x0066: never registered, but shipped by OpenSSL 0.9.x).
 *	Names are IANA's (TLS Cipher Suites registry), the draft's for those.
 *
 *	Classification flags are derived from the four components when the
 *	table is compiled, so they cannot disagree with them:
 *	TLS_SUITE_FS means an ephemeral key exchange with an authenticated
 *	server (anonymous DH is ephemeral too, but anyone on the path can be
 *	the server, so it is flagged TLS_SUITE_ANON instead); TLS_SUITE_CBC
 *	means a block cipher in CBC mode with an HMAC (MAC-then-encrypt),
 *	whatever the hash; TLS_SUITE_AEAD an AEAD cipher.
 *
 *	A suite id not in the table is still reported, by number.
 */
#ifndef TLS_SUITES_H
#define TLS_SUITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tls_suite_kx {
	TLS_KX_RSA,
	TLS_KX_RSA_EXPORT, /* 512-bit (EXPORT1024: 1024-bit) temporary RSA key */
	TLS_KX_DH,         /* static DH from the certificate */
	TLS_KX_DH_EXPORT,
	TLS_KX_DHE,
	TLS_KX_DHE_EXPORT,
	TLS_KX_ECDH, /* static ECDH from the certificate */
	TLS_KX_ECDHE,
	TLS_KX_TLS13, /* negotiated apart from the suite, always (EC)DHE */
};

enum tls_suite_auth {
	TLS_AUTH_RSA,
	TLS_AUTH_DSS,
	TLS_AUTH_ECDSA,
	TLS_AUTH_NONE,  /* anonymous */
	TLS_AUTH_TLS13, /* negotiated apart from the suite (signature_algorithms) */
};

enum tls_suite_cipher {
	TLS_CIPHER_NULL,
	TLS_CIPHER_RC4_40,
	TLS_CIPHER_RC4_56,
	TLS_CIPHER_RC4_128,
	TLS_CIPHER_RC2_40_CBC,
	TLS_CIPHER_RC2_56_CBC,
	TLS_CIPHER_DES40_CBC,
	TLS_CIPHER_DES_CBC,
	TLS_CIPHER_3DES_EDE_CBC,
	TLS_CIPHER_IDEA_CBC,
	TLS_CIPHER_SEED_CBC,
	TLS_CIPHER_AES_128_CBC,
	TLS_CIPHER_AES_256_CBC,
	TLS_CIPHER_CAMELLIA_128_CBC,
	TLS_CIPHER_CAMELLIA_256_CBC,
	TLS_CIPHER_AES_128_GCM,
	TLS_CIPHER_AES_256_GCM,
	TLS_CIPHER_AES_128_CCM,
	TLS_CIPHER_AES_256_CCM,
	TLS_CIPHER_AES_128_CCM_8,
	TLS_CIPHER_AES_256_CCM_8,
	TLS_CIPHER_ARIA_128_GCM,
	TLS_CIPHER_ARIA_256_GCM,
	TLS_CIPHER_CAMELLIA_128_GCM,
	TLS_CIPHER_CAMELLIA_256_GCM,
	TLS_CIPHER_CHACHA20_POLY1305,
};

enum tls_suite_mac {
	TLS_MAC_MD5,
	TLS_MAC_SHA1,
	TLS_MAC_SHA256,
	TLS_MAC_SHA384,
	TLS_MAC_AEAD, /* integrity from the cipher; the hash named is the PRF's */
};

enum tls_suite_flag {
	TLS_SUITE_NULL = 1u << 0,   /* no encryption at all */
	TLS_SUITE_ANON = 1u << 1,   /* no server authentication */
	TLS_SUITE_EXPORT = 1u << 2, /* export-grade key exchange or cipher */
	TLS_SUITE_RC4 = 1u << 3,
	TLS_SUITE_DES = 1u << 4, /* single DES, 40 or 56 bits */
	TLS_SUITE_3DES = 1u << 5,
	TLS_SUITE_CBC = 1u << 6, /* CBC block cipher with HMAC, no AEAD */
	TLS_SUITE_AEAD = 1u << 7,
	TLS_SUITE_FS = 1u << 8,     /* ephemeral key exchange, authenticated server */
	TLS_SUITE_TLS13 = 1u << 9,  /* only in TLS 1.3 */
	TLS_SUITE_TLS12 = 1u << 10, /* needs TLS 1.2 (SHA-2 PRF or AEAD) */
};

/* Flags that make a suite weak whatever the protocol version. */
#define TLS_SUITE_WEAK                                                                             \
	(TLS_SUITE_NULL | TLS_SUITE_ANON | TLS_SUITE_EXPORT | TLS_SUITE_RC4 | TLS_SUITE_DES |      \
	 TLS_SUITE_3DES)

struct tls_suite {
	uint16_t id;      /* IANA value */
	const char *name; /* "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	enum tls_suite_kx kx;
	enum tls_suite_auth auth;
	enum tls_suite_cipher cipher;
	enum tls_suite_mac mac;
	unsigned flags; /* enum tls_suite_flag */
};

/* Room for the text tls_suites_name() writes for an unknown id ("0xC0FF"). */
#define TLS_SUITES_NAME_MAX 8

/* The suite with IANA value id, or NULL when the table does not know it. */
const struct tls_suite *tls_suites_find(uint16_t id);

/* The table, in ascending id order: i < tls_suites_count(). */
size_t tls_suites_count(void);
const struct tls_suite *tls_suites_at(size_t i);

/*
 * The IANA name of id, or "0x" and four upper-case hex digits written
 * into buf (len >= TLS_SUITES_NAME_MAX) for an id the table lacks.
 */
const char *tls_suites_name(uint16_t id, char *buf, size_t len);

/* Whether a server may negotiate s in version (a TLS_HELLO_* wire value). */
bool tls_suites_usable(const struct tls_suite *s, uint16_t version);

enum tls_suites_order {
	TLS_SUITES_STRONG_FIRST, /* forward-secret AEAD first ... NULL encryption last */
	TLS_SUITES_WEAK_FIRST,   /* the exact reverse */
};

/*
 * A ClientHello's suite list: the ids of the suites usable in version
 * that carry at least one of the flags in any (0: every suite) and none
 * of the flags in none, in the given order. Strength ranks, strongest
 * first: forward secrecy with AEAD, forward secrecy with CBC, AEAD,
 * CBC, then the weak ones by how little they protect: 3DES, RC4 and
 * DES, EXPORT, anonymous, NULL; table order within a rank. Writes at
 * most cap ids (the strongest ones when cap is short; TLS_HELLO_MAX_SUITES
 * always suffices) and returns how many it wrote.
 */
size_t tls_suites_select(uint16_t version, unsigned any, unsigned none, enum tls_suites_order order,
                         uint16_t *ids, size_t cap);

#endif
