/*
 * crypt.c - AES-256-GCM sealing of credentials with OpenSSL; see crypt.h.
 */
#include "engine/crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE_LEN 12
#define TAG_LEN 16

static int read_all(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			return r == 0 ? -EBADMSG : -errno;
		got += (size_t)r;
	}
	return 0;
}

static int key_create(const char *path, unsigned char key[CRYPT_KEY_LEN], struct sbuf *err)
{
	int fd, rc = 0;

	if (RAND_bytes(key, CRYPT_KEY_LEN) != 1) {
		sbuf_adds(err, "no randomness for the credential key");
		return -EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		sbuf_addf(err, "cannot create key file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (write(fd, key, CRYPT_KEY_LEN) != CRYPT_KEY_LEN || fsync(fd) != 0)
		rc = -EIO;
	close(fd);
	if (rc)
		sbuf_addf(err, "cannot write key file %s", path);
	return rc;
}

int crypt_key_load(const char *path, unsigned char key[CRYPT_KEY_LEN], struct sbuf *err)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return key_create(path, key, err);
	if (fd < 0) {
		sbuf_addf(err, "cannot open key file %s: %s", path, strerror(errno));
		return -errno;
	}
	rc = fstat(fd, &st) ? -errno : 0;
	if (!rc && (st.st_mode & 077)) {
		sbuf_addf(err, "key file %s is readable by others (mode %o); chmod 600 it",
			  path, (unsigned)(st.st_mode & 0777));
		rc = -EACCES;
	}
	if (!rc && st.st_size != CRYPT_KEY_LEN) {
		sbuf_addf(err, "key file %s is damaged (%lld bytes, expected 32)", path,
			  (long long)st.st_size);
		rc = -EBADMSG;
	}
	if (!rc)
		rc = read_all(fd, key, CRYPT_KEY_LEN);
	close(fd);
	return rc;
}

/* One GCM pass; enc selects direction.  tag is read (decrypt) or written. */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce, const char *aad,
	       const unsigned char *in, int inlen, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ok;

	if (!c)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, inlen) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + n, &fin) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? n + fin : -EBADMSG;
}

int crypt_seal(const unsigned char key[CRYPT_KEY_LEN], const char *aad, const char *plain,
	       size_t len, char **out)
{
	size_t raw_len = NONCE_LEN + len + TAG_LEN;
	unsigned char *raw = malloc(raw_len);
	int rc;

	*out = malloc(4 * ((raw_len + 2) / 3) + 1);
	if (!raw || !*out || len > (size_t)1 << 24) {
		free(raw);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	rc = RAND_bytes(raw, NONCE_LEN) == 1 ? 0 : -EIO;
	if (!rc)
		rc = gcm(1, key, raw, aad, (const unsigned char *)plain, (int)len, raw + NONCE_LEN,
			 raw + NONCE_LEN + len);
	if (rc >= 0) {
		EVP_EncodeBlock((unsigned char *)*out, raw, (int)raw_len);
		rc = 0;
	} else {
		free(*out);
		*out = NULL;
	}
	OPENSSL_cleanse(raw, raw_len);
	free(raw);
	return rc;
}

int crypt_open(const unsigned char key[CRYPT_KEY_LEN], const char *aad, const char *sealed,
	       char **plain, size_t *len)
{
	size_t slen = strlen(sealed), pad = 0;
	unsigned char *raw = malloc(slen / 4 * 3 + 3);
	int n, rc;

	if (!raw)
		return -ENOMEM;
	n = EVP_DecodeBlock(raw, (const unsigned char *)sealed, (int)slen);
	while (slen && sealed[slen - 1 - pad] == '=' && pad < 2)
		pad++;
	n -= (int)pad;
	if (n < NONCE_LEN + TAG_LEN) {
		free(raw);
		return -EBADMSG;
	}
	*plain = malloc((size_t)n - NONCE_LEN - TAG_LEN + 1);
	rc = *plain ? gcm(0, key, raw, aad, raw + NONCE_LEN, n - NONCE_LEN - TAG_LEN,
			  (unsigned char *)*plain, raw + n - TAG_LEN)
		    : -ENOMEM;
	free(raw);
	if (rc < 0) {
		free(*plain);
		*plain = NULL;
		return rc;
	}
	(*plain)[rc] = '\0';
	if (len)
		*len = (size_t)rc;
	return 0;
}
