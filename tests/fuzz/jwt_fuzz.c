/*
 * jwt_fuzz.c - JWT verification on arbitrary tokens (what a token
 * endpoint parses from the network).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "drivers/common/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jwt_key *key;

static void make_key(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(1024);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	PEM_write_bio_PUBKEY(b, pk);
	n = BIO_get_mem_data(b, &pem);
	jwt_key_load_pem(pem, (size_t)n, &key);
	BIO_free(b);
	EVP_PKEY_free(pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *h = NULL, *c = NULL;

	if (!key)
		make_key();
	if (jwt_verify(key, (const char *)data, size, &h, &c) == 0) {
		json_decref(h);
		json_decref(c);
	}
	return 0;
}
