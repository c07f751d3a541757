/* Compiled by the layering tests with the probes' guard: must fail to compile. */
#if defined(VIOLATION_uv)
#include <uv.h>
#elif defined(VIOLATION_mbedtls)
#include <mbedtls/ssl.h>
#endif
int layering_violation(void);
int layering_violation(void)
{
	return 0;
}
