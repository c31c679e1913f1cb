/*
 * jwt_test.c - RS256 JWTs: RFC 7515 Appendix A.2 byte for byte (the key
 * from its JWK, through PEM, as a Google key file would carry it), then a
 * service-account style assertion round trip, and every way verification
 * must refuse.
 */
#include "drivers/common/jwt.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "drivers/common/codec.h"
#include "tests/unit/cu.h"

/* RFC 7515 A.2: the RSA key as a JWK (base64url big-endian integers). */
static const struct {
	const char *param, *b64;
} a2_jwk[] = {
	{ OSSL_PKEY_PARAM_RSA_N,
	  "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
	  "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
	  "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-D"
	  "WNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ" },
	{ OSSL_PKEY_PARAM_RSA_E, "AQAB" },
	{ OSSL_PKEY_PARAM_RSA_D,
	  "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoA"
	  "Je46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRL"
	  "I9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9"
	  "pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ" },
	{ OSSL_PKEY_PARAM_RSA_FACTOR1,
	  "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJd"
	  "TJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc" },
	{ OSSL_PKEY_PARAM_RSA_FACTOR2,
	  "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_"
	  "YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc" },
	{ OSSL_PKEY_PARAM_RSA_EXPONENT1,
	  "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6H"
	  "sJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0" },
	{ OSSL_PKEY_PARAM_RSA_EXPONENT2,
	  "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF"
	  "-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU" },
	{ OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	  "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIB"
	  "i87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U" },
};

static const char a2_header[] = "{\"alg\":\"RS256\"}";
static const char a2_payload[] =
	"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
static const char a2_jws[] =
	"eyJhbGciOiJSUzI1NiJ9"
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
	".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5j"
	"ujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07"
	"Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI"
	"8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

static char *priv_pem, *pub_pem;

static char *bio_string(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	return strndup(data, (size_t)n);
}

/* Build the A.2 key from its JWK, export PEM (private PKCS#8 and public SPKI). */
static int suite_init(void)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[ARRAY_SIZE(a2_jwk)] = { 0 };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pk = NULL;
	BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
	int rc = -1;

	for (size_t i = 0; i < ARRAY_SIZE(a2_jwk); i++) {
		struct sbuf raw = SBUF_INIT;

		if (codec_b64_decode(&raw, a2_jwk[i].b64, strlen(a2_jwk[i].b64)))
			goto out;
		bn[i] = BN_bin2bn((unsigned char *)raw.buf, (int)raw.len, NULL);
		sbuf_release(&raw);
		OSSL_PARAM_BLD_push_BN(bld, a2_jwk[i].param, bn[i]);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	PEM_write_bio_PrivateKey(a, pk, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_PUBKEY(b, pk);
	priv_pem = bio_string(a);
	pub_pem = bio_string(b);
	rc = 0;
out:
	for (size_t i = 0; i < ARRAY_SIZE(a2_jwk); i++)
		BN_free(bn[i]);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BIO_free(a);
	BIO_free(b);
	return rc;
}

static int suite_clean(void)
{
	free(priv_pem);
	free(pub_pem);
	return 0;
}

static struct jwt_key *load(const char *pem)
{
	struct jwt_key *k = NULL;

	CU_ASSERT_EQUAL_FATAL(jwt_key_load_pem(pem, strlen(pem), &k), 0);
	return k;
}

static void test_rfc7515_a2(void)
{
	struct jwt_key *k = load(priv_pem);
	struct sbuf out = SBUF_INIT;

	CU_ASSERT_EQUAL(jwt_sign_raw(k, a2_header, strlen(a2_header), a2_payload,
				     strlen(a2_payload), &out), 0);
	CU_ASSERT_STRING_EQUAL(out.buf, a2_jws);
	sbuf_release(&out);
	jwt_key_free(k);
}

static void test_verify_a2(void)
{
	struct jwt_key *pub = load(pub_pem);
	json_t *h = NULL, *c = NULL;

	CU_ASSERT_EQUAL(jwt_verify(pub, a2_jws, strlen(a2_jws), &h, &c), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "alg")), "RS256");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "iss")), "joe");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "exp")), 1300819380);
	json_decref(h);
	json_decref(c);
	jwt_key_free(pub);
}

static void test_verify_padded(void)
{
	/* libcloud and google-auth pad each segment; the signature covers them as sent. */
	struct jwt_key *k = load(priv_pem), *pub = load(pub_pem);
	const char *hdr = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", *pl = "{\"iss\":\"a@b\"}";
	struct sbuf in = SBUF_INIT, tok = SBUF_INIT;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY *pk;
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	BIO *bio = BIO_new_mem_buf(priv_pem, -1);

	codec_b64_encode(&in, hdr, strlen(hdr));	/* padded standard = padded url here */
	sbuf_addc(&in, '.');
	codec_b64_encode(&in, pl, strlen(pl));
	CU_ASSERT_PTR_NOT_NULL(strchr(in.buf, '='));
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk);
	EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)in.buf, in.len);
	sbuf_addf(&tok, "%s.", in.buf);
	codec_b64url_encode(&tok, sig, siglen);
	CU_ASSERT_EQUAL(jwt_verify(pub, tok.buf, tok.len, NULL, NULL), 0);
	sbuf_release(&in);
	sbuf_release(&tok);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	jwt_key_free(k);
	jwt_key_free(pub);
}

static void test_sign_claims_roundtrip(void)
{
	struct jwt_key *k = load(priv_pem);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}",
				   "iss", "tester@test-project.iam.gserviceaccount.com",
				   "scope", "https://www.googleapis.com/auth/compute",
				   "aud", "https://oauth2.googleapis.com/token",
				   "iat", (json_int_t)1700000000, "exp", (json_int_t)1700003600);
	json_t *h = NULL, *c = NULL;
	struct sbuf out = SBUF_INIT;

	CU_ASSERT_EQUAL(jwt_sign(k, "k1", claims, &out), 0);
	CU_ASSERT_PTR_NULL(strchr(out.buf, '='));	/* RFC 7515: no padding */
	CU_ASSERT_EQUAL(jwt_verify(k, out.buf, out.len, &h, &c), 0);	/* a private key verifies too */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "typ")), "JWT");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "kid")), "k1");
	CU_ASSERT_TRUE(json_equal(c, claims));
	/* Deterministic: the same claims sign to the same token. */
	{
		struct sbuf again = SBUF_INIT;

		CU_ASSERT_EQUAL(jwt_sign(k, "k1", claims, &again), 0);
		CU_ASSERT_STRING_EQUAL(again.buf, out.buf);
		sbuf_release(&again);
	}
	json_decref(h);
	h = json_string("not an object");
	CU_ASSERT_EQUAL(jwt_sign(k, NULL, h, &out), -EINVAL);
	json_decref(h);
	json_decref(c);
	json_decref(claims);
	sbuf_release(&out);
	jwt_key_free(k);
}

static void test_verify_refusals(void)
{
	struct jwt_key *pub = load(pub_pem);
	char tok[sizeof(a2_jws)];
	const char *hs256 = "eyJhbGciOiJIUzI1NiJ9" /* {"alg":"HS256"} */;
	struct sbuf forged = SBUF_INIT;

	sbuf_adds(&forged, "eyJhbGciOiJSUzI1NiJ9.");	/* another payload, same signature */
	codec_b64url_encode(&forged, "{\"iss\":\"eve\"}", 13);
	sbuf_adds(&forged, strrchr(a2_jws, '.'));
	CU_ASSERT_EQUAL(jwt_verify(pub, forged.buf, forged.len, NULL, NULL), -EACCES);
	sbuf_reset(&forged);
	memcpy(tok, a2_jws, sizeof(tok));
	tok[sizeof(tok) - 5] = tok[sizeof(tok) - 5] == 'A' ? 'B' : 'A';	/* signature changed */
	CU_ASSERT_EQUAL(jwt_verify(pub, tok, strlen(tok), NULL, NULL), -EACCES);
	sbuf_addf(&forged, "%s%s", hs256, strchr(a2_jws, '.'));	/* alg swapped */
	CU_ASSERT_EQUAL(jwt_verify(pub, forged.buf, forged.len, NULL, NULL), -EACCES);
	CU_ASSERT_EQUAL(jwt_verify(pub, "a.b", 3, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jwt_verify(pub, "a.b.c.d", 7, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jwt_verify(pub, "!!.??.##", 8, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jwt_verify(pub, "", 0, NULL, NULL), -EINVAL);
	sbuf_release(&forged);
	jwt_key_free(pub);
}

static void test_key_loading(void)
{
	struct jwt_key *k = NULL;
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	struct sbuf out = SBUF_INIT;
	char *ec_pem;

	PEM_write_bio_PrivateKey(b, ec, NULL, NULL, 0, NULL, NULL);
	ec_pem = bio_string(b);
	CU_ASSERT_EQUAL(jwt_key_load_pem(ec_pem, strlen(ec_pem), &k), -EINVAL);	/* not RSA */
	CU_ASSERT_EQUAL(jwt_key_load_pem("garbage", 7, &k), -EINVAL);
	CU_ASSERT_EQUAL(jwt_key_load_pem("", 0, &k), -EINVAL);
	k = load(pub_pem);
	CU_ASSERT_EQUAL(jwt_sign_raw(k, "{}", 2, "{}", 2, &out), -EINVAL);	/* public only */
	jwt_key_free(k);
	jwt_key_free(NULL);
	free(ec_pem);
	BIO_free(b);
	EVP_PKEY_free(ec);
	sbuf_release(&out);
}

static const struct cu_test tests[] = {
	{ "rfc7515_a2", test_rfc7515_a2 },
	{ "verify_a2", test_verify_a2 },
	{ "verify_padded", test_verify_padded },
	{ "sign_claims_roundtrip", test_sign_claims_roundtrip },
	{ "verify_refusals", test_verify_refusals },
	{ "key_loading", test_key_loading },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "jwt", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
