/*
 * twin_tls.h - cloudtwin's private CA, its server certificate, and other
 * long-lived keys kept in the TLS directory.
 *
 * On start the directory (made 0700 when missing) is searched for
 * ca.pem/ca-key.pem and server.pem/server-key.pem.  What is missing,
 * unreadable, about to expire or not signed by the CA is made anew with
 * OpenSSL: an RSA-2048 CA valid ten years and a server certificate valid
 * 825 days for IP:127.0.0.1, IP:::1, localhost and the real clouds' API
 * host names (management.azure.com, login.microsoftonline.com, ...), so
 * clients that insist on a host name can be pointed at cloudtwin through
 * /etc/hosts.  Keys are written 0600, atomically.  Clients trust
 * <dir>/ca.pem.  Not thread-safe; called once at start-up.
 */
#ifndef TWIN_TLS_H
#define TWIN_TLS_H

#include "lib/sbuf.h"

struct twin_tls {
	char *ca_file;		/* absolute path of ca.pem */
	char *cert_pem;		/* server certificate chain, PEM */
	char *key_pem;		/* server key, PEM */
};

/* Load or make the CA and server certificate in dir.  0 or a negative
 * errno with the reason in err. */
int twin_tls_ensure(const char *dir, struct twin_tls *tls, struct sbuf *err);
void twin_tls_release(struct twin_tls *tls);
/* Load or make an RSA-2048 private key <dir>/<name> (PEM, 0600).
 * *pem is a new string the caller frees.  0 or -errno with err. */
int twin_tls_ensure_key(const char *dir, const char *name, char **pem, struct sbuf *err);

#endif
