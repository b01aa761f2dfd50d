/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sealing a recording to its customer: CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM,
 * the content key wrapped for the customer's certificate (RSA key transport or EC key
 * agreement), written as DER while the plaintext streams through, so a large recording
 * never sits in memory. Only the holder of the customer's private key can open it:
 *   openssl cms -decrypt -inform DER -in R.pcapng.p7m -inkey customer.key -out R.pcapng
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "recording.h"

static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();

	snprintf(err, errlen, "%s: %s", what, e != 0 ? ERR_reason_error_string(e) : "unknown OpenSSL error");
	ERR_clear_error();
}

/* A certificate is a few KiB; anything far larger is not one (and /proc's files say 0). */
#define CERT_FILE_MAX 65536

/* A regular file of sane size only: never a FIFO or device that would block the loop. */
static X509 *load_cert(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	X509 *x = NULL;
	FILE *f;

	if (path[0] != '/' || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    sb.st_size > CERT_FILE_MAX) {
		snprintf(err, errlen, "%.160s is not a readable certificate file (a regular file of at most %d bytes)",
			 path, CERT_FILE_MAX);
		return NULL;
	}
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		ssl_err(err, errlen, "not a PEM X.509 certificate");
	return x;
}

int rec_cert_check(const char *path, char *why, size_t whylen)
{
	X509 *x = load_cert(path, why, whylen);
	EVP_PKEY *k;
	int ok;

	if (x == NULL)
		return -EINVAL;
	k = X509_get0_pubkey(x);
	ok = k != NULL && (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "EC"));
	X509_free(x);
	if (!ok) {
		snprintf(why, whylen, "%s: the certificate's key is neither RSA nor EC (CMS cannot seal to it)", path);
		return -EINVAL;
	}
	return 0;
}

static int seal_stream(BIO *in, X509 *x, BIO *out, char *err, size_t errlen)
{
	const int flags = CMS_BINARY | CMS_STREAM;
	STACK_OF(X509) *certs = sk_X509_new_null();
	CMS_ContentInfo *cms = NULL;
	int ret = -EIO;

	if (certs == NULL || !sk_X509_push(certs, x)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cms = CMS_encrypt(certs, in, EVP_aes_256_gcm(), flags);
	if (cms == NULL) {
		ssl_err(err, errlen, "CMS_encrypt");
		goto out;
	}
	if (i2d_CMS_bio_stream(out, cms, in, flags) != 1 || BIO_flush(out) != 1) {
		ssl_err(err, errlen, "writing the sealed recording");
		goto out;
	}
	ret = 0;
out:
	CMS_ContentInfo_free(cms);
	sk_X509_free(certs); /* x is the caller's */
	return ret;
}

int rec_seal(const char *plain, const char *cert_path, const char *sealed, char *err, size_t errlen)
{
	BIO *in = NULL, *out = NULL;
	X509 *x;
	int fd = -1, ret = -EIO;

	x = load_cert(cert_path, err, errlen);
	if (x == NULL)
		return -EINVAL;
	in = BIO_new_file(plain, "rb");
	if (in == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", plain, strerror(errno));
		goto out;
	}
	fd = open(sealed, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", sealed, strerror(errno));
		goto out;
	}
	out = BIO_new_fd(fd, BIO_NOCLOSE);
	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = seal_stream(in, x, out, err, errlen);
	/* the plaintext goes only once the sealed copy is on disk */
	if (ret == 0 && fsync(fd) != 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot sync %s: %s", sealed, strerror(errno));
	}
out:
	BIO_free(out);
	BIO_free(in);
	if (fd >= 0)
		close(fd);
	if (ret != 0 && fd >= 0)
		unlink(sealed);
	X509_free(x);
	return ret;
}

int rec_sha256_file(const char *path, char hex[STORE_SHA256_HEX], uint64_t *bytes)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	unsigned int mdlen = 0, i;
	ssize_t n;
	int fd, ret = 0;

	*bytes = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ret = -ENOMEM;
	while (ret == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			ret = errno == EINTR ? 0 : -errno;
			continue;
		}
		*bytes += (uint64_t)n;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			ret = -EIO;
	}
	if (ret == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		ret = -EIO;
	for (i = 0; ret == 0 && i < mdlen && 2 * i + 2 < STORE_SHA256_HEX; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return ret;
}
