/*
 * crypt.h - credentials at rest: AES-256-GCM with a key file (DESIGN.md
 * section 9).  The key file is 32 random bytes, mode 0600, made at first
 * start; a sealed value is base64(nonce[12] || ciphertext || tag[16]) and
 * authenticates `aad` (the record's key), so a sealed credential cannot be
 * moved to another cloud's record.
 */
#ifndef BFS_CRYPT_H
#define BFS_CRYPT_H

#include <stddef.h>

#include "lib/sbuf.h"

#define CRYPT_KEY_LEN 32

/* Load the key at path, creating it (0600) when absent.  0 or -errno + err. */
int crypt_key_load(const char *path, unsigned char key[CRYPT_KEY_LEN], struct sbuf *err);
/* Seal plain; *out is a new NUL-terminated base64 string (caller frees). */
int crypt_seal(const unsigned char key[CRYPT_KEY_LEN], const char *aad, const char *plain,
	       size_t len, char **out);
/* Open a sealed string; *plain is new and NUL-terminated (caller frees).
 * -EBADMSG when it does not authenticate. */
int crypt_open(const unsigned char key[CRYPT_KEY_LEN], const char *aad, const char *sealed,
	       char **plain, size_t *len);

#endif
