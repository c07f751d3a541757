/*
 * NAME
 *	fuzz_check - what every libFuzzer target in tests/fuzz shares
 *
 * DESCRIPTION
 *	FUZZ_CHECK(cond) states an invariant of the code under test: when it
 *	does not hold, the input is a finding, so the target says which
 *	invariant failed - on stderr and through the sanitizers' own report
 *	stream, which still works when libFuzzer closed stderr
 *	(-close_fd_mask=2) - and aborts, which libFuzzer records as a crash
 *	with its input.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sanitizer/common_interface_defs.h>

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__,         \
				__LINE__);                                                         \
			__sanitizer_report_error_summary("invariant failed: " #cond);              \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
