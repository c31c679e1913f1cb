/*
 * twin_request_fuzz.c - whole requests into every dialect and the control
 * API: routing, query and form parameters, JSON bodies, signatures and
 * tokens (see twin_fuzz.h for the input form and the signing prefixes).
 */
#include "tests/fuzz/twin_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_request(data, size);
	return 0;
}
