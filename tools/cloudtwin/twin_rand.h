/*
 * twin_rand.h - the random draws cloudtwin needs beyond drivers/common's
 * hash_random_hex and hash_uuid4: raw bytes (keys), hex strings of any
 * length (cloud ids such as EC2's 17-digit ones) and uniform reals (fault
 * injection).  All from OpenSSL's CSPRNG; thread-safe.
 */
#ifndef TWIN_RAND_H
#define TWIN_RAND_H

#include <stddef.h>

/* n random bytes.  0 or -EIO. */
int twin_rand_bytes(void *buf, size_t n);
/* n (at most 128) random lower-case hex digits into out[n+1]. */
void twin_rand_hex(char *out, size_t n);
/* A uniform double in [0, 1). */
double twin_rand_uniform(void);

#endif
