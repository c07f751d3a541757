/*
 * NAME
 *	fuzz_dns_answer - libFuzzer target for the DNS reply parser of domain mode
 *
 * DESCRIPTION
 *	Input: byte 0 picks the question's type (MX, TXT, TLSA, PTR, CNAME,
 *	A, AAAA), the rest is the reply a resolver sent to the question
 *	"fuzz.test" of that type (the seeds in corpus/dns_answer are real
 *	replies to it, so mutations start past the question check).
 *
 *	What must hold whatever the input: the parser returns 0 or
 *	SA_ERROR_NOMEM; the status is one of the four; a FAILED answer holds
 *	no records and says why; every record list is within the cap; names
 *	are lower case without a trailing dot (an escaped one is a label's); TXT strings hold no NUL before
 *	their end; TLSA data and addresses have the lengths they claim; and
 *	dns_answer_free() leaves nothing behind (LeakSanitizer).
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <arpa/nameser.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_answer.h"
#include "fuzz_check.h"
#include "sa_error.h"

#define FUZZ_NAME "fuzz.test"
#define FUZZ_MAX_RECORDS 64

static const int fuzz_types[] = {ns_t_mx, ns_t_txt, 52 /* TLSA */, ns_t_ptr,
				 ns_t_cname, ns_t_a, ns_t_aaaa};

static void fuzz_check_name(const char *name)
{
	FUZZ_CHECK(name != NULL);
	size_t len = strlen(name);
	/* A dot inside a label comes escaped ("a\\.b"), so only an escaped one may end a name. */
	FUZZ_CHECK(len < 2 || name[len - 1] != '.' || name[len - 2] == '\\');
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(!isupper((unsigned char)name[i]));
}

static void fuzz_check_records(const struct dns_answer *a)
{
	FUZZ_CHECK(a->nmx <= FUZZ_MAX_RECORDS && a->ntxt <= FUZZ_MAX_RECORDS);
	FUZZ_CHECK(a->ntlsa <= FUZZ_MAX_RECORDS && a->nnames <= FUZZ_MAX_RECORDS);
	FUZZ_CHECK(a->naddrs <= FUZZ_MAX_RECORDS);
	for (size_t i = 0; i < a->nmx; i++) {
		fuzz_check_name(a->mx[i].host);
		FUZZ_CHECK(a->mx[i].preference <= 65535);
	}
	for (size_t i = 0; i < a->ntxt; i++)
		FUZZ_CHECK(a->txt[i] != NULL);
	for (size_t i = 0; i < a->ntlsa; i++)
		FUZZ_CHECK(a->tlsa[i].len == 0 || a->tlsa[i].data != NULL);
	for (size_t i = 0; i < a->nnames; i++)
		fuzz_check_name(a->names[i]);
	for (size_t i = 0; i < a->naddrs; i++)
		FUZZ_CHECK(a->addrs[i].family == (a->type == ns_t_a ? AF_INET : AF_INET6));
	if (a->cname != NULL)
		fuzz_check_name(a->cname);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int type = fuzz_types[data[0] % (sizeof(fuzz_types) / sizeof(fuzz_types[0]))];
	struct dns_answer a;
	int rc = dns_answer_parse(data + 1, size - 1, FUZZ_NAME, type, &a);
	FUZZ_CHECK(rc == 0 || rc == SA_ERROR_NOMEM);
	FUZZ_CHECK(a.status == DNS_ANSWER_OK || a.status == DNS_ANSWER_NODATA ||
		   a.status == DNS_ANSWER_NXDOMAIN || a.status == DNS_ANSWER_FAILED);
	FUZZ_CHECK(a.type == type);
	if (a.status == DNS_ANSWER_FAILED) {
		FUZZ_CHECK(a.detail[0] != '\0');
		FUZZ_CHECK(a.nmx + a.ntxt + a.ntlsa + a.nnames + a.naddrs == 0);
	}
	FUZZ_CHECK(memchr(a.detail, '\0', sizeof(a.detail)) != NULL);
	fuzz_check_records(&a);
	dns_answer_free(&a);
	return 0;
}
