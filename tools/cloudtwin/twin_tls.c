/*
 * twin_tls.c - CA and server certificate with OpenSSL; see twin_tls.h.
 */
#include "tools/cloudtwin/twin_tls.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_DAYS 3650
#define SERVER_DAYS 825
#define RENEW_BEFORE_S (7 * 86400)

static const char server_sans[] =
	"IP:127.0.0.1,IP:::1,DNS:localhost,DNS:management.azure.com,"
	"DNS:login.microsoftonline.com,DNS:management.core.windows.net,"
	"DNS:compute.googleapis.com,DNS:www.googleapis.com,DNS:oauth2.googleapis.com,"
	"DNS:accounts.google.com,DNS:ec2.amazonaws.com,DNS:*.amazonaws.com,"
	"DNS:ecs.aliyuncs.com,DNS:*.aliyuncs.com";

static int tls_fail(struct sbuf *err, int rc, const char *what, const char *path)
{
	sbuf_reset(err);
	sbuf_addf(err, "%s %s", what, path ? path : "");
	return rc;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Write text to dir/name atomically with the given mode. */
static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int ok;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	ok = fchmod(fileno(f), mode) == 0 && fputs(text, f) >= 0 && fflush(f) == 0 &&
	     fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path)) {
		int rc = -errno;

		unlink(tmp);
		return rc ? rc : -EIO;
	}
	return 0;
}

static char *pem_of(int (*writer)(BIO *, void *), void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (b && writer(b, obj)) {
		n = BIO_get_mem_data(b, &data);
		out = n > 0 ? strndup(data, (size_t)n) : NULL;
	}
	BIO_free(b);
	return out;
}

static int write_key_bio(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int write_cert_bio(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "r");
}

static EVP_PKEY *read_key(const char *dir, const char *name)
{
	FILE *f = open_in(dir, name);
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static X509 *read_cert(const char *dir, const char *name)
{
	FILE *f = open_in(dir, name);
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EIO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EIO;
}

/* A certificate for `key` named cn, signed by (issuer, ikey) or self. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, int days)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *name;
	bool ca = issuer == NULL;
	int rc = -EIO;

	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out_fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(x);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ||
	    !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cloudtwin",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)))
		goto out_fail;
	rc = add_ext(x, ca ? x : issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (!rc)
		rc = add_ext(x, ca ? x : issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
			     "critical,digitalSignature,keyEncipherment");
	if (!rc)
		rc = add_ext(x, ca ? x : issuer, NID_subject_key_identifier, "hash");
	if (!rc)
		rc = add_ext(x, ca ? x : issuer, NID_authority_key_identifier, "keyid:always");
	if (!rc && !ca)
		rc = add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	if (!rc && !ca)
		rc = add_ext(x, issuer, NID_subject_alt_name, server_sans);
	if (!rc && !X509_sign(x, ca ? key : ikey, EVP_sha256()))
		rc = -EIO;
out_fail:
	BN_free(bn);
	if (rc) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* True when x is signed by ca, matches key and stays valid a while. */
static bool cert_fresh(X509 *x, EVP_PKEY *key, X509 *ca)
{
	time_t soon = time(NULL) + RENEW_BEFORE_S;
	EVP_PKEY *capub;

	if (!x || !key || !ca || !X509_check_private_key(x, key))
		return false;
	capub = X509_get0_pubkey(ca);
	if (!capub || X509_verify(x, capub) != 1)
		return false;
	return X509_cmp_time(X509_get0_notAfter(x), &soon) > 0;
}

/* Save a key and certificate pair as PEM files. */
static int save_pair(const char *dir, const char *keyname, EVP_PKEY *key, const char *certname,
		     X509 *x)
{
	char *kp = pem_of(write_key_bio, key), *cp = pem_of(write_cert_bio, x);
	int rc = kp && cp ? 0 : -ENOMEM;

	if (!rc)
		rc = write_file(dir, keyname, kp, 0600);
	if (!rc)
		rc = write_file(dir, certname, cp, 0644);
	free(kp);
	free(cp);
	return rc;
}

/* Load the CA, or make it (and invalidate the server pair). */
static int ensure_ca(const char *dir, X509 **ca, EVP_PKEY **cakey, bool *made)
{
	*ca = read_cert(dir, "ca.pem");
	*cakey = read_key(dir, "ca-key.pem");
	*made = false;
	if (*ca && *cakey && cert_fresh(*ca, *cakey, *ca))
		return 0;
	X509_free(*ca);
	EVP_PKEY_free(*cakey);
	*cakey = EVP_RSA_gen(2048);
	*ca = *cakey ? make_cert(*cakey, "cloudtwin CA", NULL, NULL, CA_DAYS) : NULL;
	if (!*ca)
		return -EIO;
	*made = true;
	return save_pair(dir, "ca-key.pem", *cakey, "ca.pem", *ca);
}

static int ensure_server(const char *dir, X509 *ca, EVP_PKEY *cakey, bool remake,
			 struct twin_tls *tls)
{
	X509 *x = remake ? NULL : read_cert(dir, "server.pem");
	EVP_PKEY *key = remake ? NULL : read_key(dir, "server-key.pem");
	int rc = 0;

	if (!cert_fresh(x, key, ca)) {
		X509_free(x);
		EVP_PKEY_free(key);
		key = EVP_RSA_gen(2048);
		x = key ? make_cert(key, "cloudtwin", ca, cakey, SERVER_DAYS) : NULL;
		rc = x ? save_pair(dir, "server-key.pem", key, "server.pem", x) : -EIO;
	}
	if (!rc) {
		tls->cert_pem = pem_of(write_cert_bio, x);
		tls->key_pem = pem_of(write_key_bio, key);
		rc = tls->cert_pem && tls->key_pem ? 0 : -ENOMEM;
	}
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int twin_tls_ensure(const char *dir, struct twin_tls *tls, struct sbuf *err)
{
	char path[PATH_MAX], real[PATH_MAX];
	X509 *ca = NULL;
	EVP_PKEY *cakey = NULL;
	bool made;
	int rc;

	memset(tls, 0, sizeof(*tls));
	rc = mkdir_p(dir);
	if (rc)
		return tls_fail(err, rc, "cannot create the TLS directory", dir);
	rc = ensure_ca(dir, &ca, &cakey, &made);
	if (!rc)
		rc = ensure_server(dir, ca, cakey, made, tls);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	if (rc) {
		twin_tls_release(tls);
		return tls_fail(err, rc, "cannot make or load TLS material in", dir);
	}
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	tls->ca_file = strdup(realpath(path, real) ? real : path);
	return tls->ca_file ? 0 : -ENOMEM;
}

void twin_tls_release(struct twin_tls *tls)
{
	free(tls->ca_file);
	free(tls->cert_pem);
	free(tls->key_pem);
	memset(tls, 0, sizeof(*tls));
}

int twin_tls_ensure_key(const char *dir, const char *name, char **pem, struct sbuf *err)
{
	EVP_PKEY *k;
	int rc;

	*pem = NULL;
	rc = mkdir_p(dir);
	if (rc)
		return tls_fail(err, rc, "cannot create the directory", dir);
	k = read_key(dir, name);
	if (!k) {
		k = EVP_RSA_gen(2048);
		*pem = k ? pem_of(write_key_bio, k) : NULL;
		rc = *pem ? write_file(dir, name, *pem, 0600) : -EIO;
	} else {
		*pem = pem_of(write_key_bio, k);
		rc = *pem ? 0 : -ENOMEM;
	}
	EVP_PKEY_free(k);
	if (rc) {
		free(*pem);
		*pem = NULL;
		return tls_fail(err, rc, "cannot make or load the key in", dir);
	}
	return 0;
}
