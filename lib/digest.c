/* bootgate — content digests over OpenSSL EVP, and digest string checks. */
#include "bootgate/digest.h"

#include <string.h>

#include <openssl/evp.h>

/* Longest prefix of an offending digest quoted back in an error message. */
#define QUOTE_MAX 160

static const EVP_MD *algorithm_md(bg_digest_algorithm alg)
{
	switch (alg) {
	case BG_DIGEST_SHA256:
		return EVP_sha256();
	case BG_DIGEST_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

const char *bg_digest_algorithm_name(bg_digest_algorithm alg)
{
	switch (alg) {
	case BG_DIGEST_SHA256:
		return "sha256";
	case BG_DIGEST_SHA512:
		return "sha512";
	default:
		return NULL;
	}
}

size_t bg_digest_hex_length(bg_digest_algorithm alg)
{
	switch (alg) {
	case BG_DIGEST_SHA256:
		return 64;
	case BG_DIGEST_SHA512:
		return 128;
	default:
		return 0;
	}
}

int bg_digest_init(bg_digest_ctx *ctx, bg_digest_algorithm alg, bg_error *err)
{
	const EVP_MD *md = algorithm_md(alg);
	if (!md) {
		ctx->algorithm = BG_DIGEST_NONE;
		ctx->md = NULL;
		return bg_error_set(err, BG_E_USAGE,
				    "digest algorithm %d is not supported; use sha256 or sha512",
				    (int)alg);
	}
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c) {
		ctx->md = NULL;
		return bg_error_set(err, BG_E_NOMEM, "out of memory starting a %s digest",
				    bg_digest_algorithm_name(alg));
	}
	if (EVP_DigestInit_ex(c, md, NULL) != 1) {
		EVP_MD_CTX_free(c);
		ctx->md = NULL;
		return bg_error_set(err, BG_E_EVAL,
				    "OpenSSL could not start a %s digest; check the OpenSSL installation",
				    bg_digest_algorithm_name(alg));
	}
	ctx->algorithm = alg;
	ctx->md = c;
	return 0;
}

int bg_digest_update(bg_digest_ctx *ctx, const void *data, size_t len)
{
	if (!ctx || !ctx->md)
		return BG_E_EVAL;
	if (len == 0)
		return 0;
	return EVP_DigestUpdate(ctx->md, data, len) == 1 ? 0 : BG_E_EVAL;
}

void bg_digest_reset(bg_digest_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	ctx->md = NULL;
	ctx->algorithm = BG_DIGEST_NONE;
}

int bg_digest_final(bg_digest_ctx *ctx, char out[BG_DIGEST_STRING_MAX], bg_error *err)
{
	static const char hexdigits[] = "0123456789abcdef";
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!ctx || !ctx->md) {
		bg_digest_reset(ctx);
		return bg_error_set(err, BG_E_EVAL,
				    "digest finished without being started (internal error)");
	}
	const char *name = bg_digest_algorithm_name(ctx->algorithm);
	int ok = EVP_DigestFinal_ex(ctx->md, raw, &n) == 1 &&
		 n * 2 == bg_digest_hex_length(ctx->algorithm);
	bg_digest_reset(ctx);
	if (!ok)
		return bg_error_set(err, BG_E_EVAL, "OpenSSL could not finish a %s digest", name);

	size_t pos = strlen(name);
	memcpy(out, name, pos);
	out[pos++] = ':';
	for (unsigned int i = 0; i < n; i++) {
		out[pos++] = hexdigits[raw[i] >> 4];
		out[pos++] = hexdigits[raw[i] & 0x0f];
	}
	out[pos] = '\0';
	return 0;
}

int bg_digest_buffer(bg_digest_algorithm alg, const void *data, size_t len,
		     char out[BG_DIGEST_STRING_MAX], bg_error *err)
{
	bg_digest_ctx ctx = {0};
	int rc = bg_digest_init(&ctx, alg, err);
	if (rc < 0)
		return rc;
	if (bg_digest_update(&ctx, data, len) < 0) {
		bg_digest_reset(&ctx);
		return bg_error_set(err, BG_E_EVAL, "OpenSSL could not hash %zu bytes", len);
	}
	return bg_digest_final(&ctx, out, err);
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int bg_digest_parse(const char *s, bg_digest_algorithm *alg, const char **hex, bg_error *err)
{
	if (!s || !*s)
		return bg_error_set(err, BG_E_INPUT,
				    "empty digest; expected sha256:<64 hex digits>");
	size_t total = strlen(s);
	int shown = total > QUOTE_MAX ? QUOTE_MAX : (int)total;
	const char *more = total > QUOTE_MAX ? "..." : "";
	const char *colon = strchr(s, ':');
	if (!colon)
		return bg_error_set(err, BG_E_INPUT,
				    "digest \"%.*s%s\" has no algorithm; expected sha256:<64 hex digits>",
				    shown, s, more);

	size_t alen = (size_t)(colon - s);
	bg_digest_algorithm a = BG_DIGEST_NONE;
	if (alen == 6 && memcmp(s, "sha256", 6) == 0)
		a = BG_DIGEST_SHA256;
	else if (alen == 6 && memcmp(s, "sha512", 6) == 0)
		a = BG_DIGEST_SHA512;
	if (a == BG_DIGEST_NONE)
		return bg_error_set(err, BG_E_INPUT,
				    "digest \"%.*s%s\" uses algorithm \"%.*s\"; bootgate accepts only sha256 and sha512",
				    shown, s, more, alen > 32 ? 32 : (int)alen, s);

	const char *h = colon + 1;
	size_t hlen = total - alen - 1, want = bg_digest_hex_length(a);
	for (size_t i = 0; i < hlen; i++) {
		if (!is_lower_hex(h[i]))
			return bg_error_set(err, BG_E_INPUT,
					    "digest \"%.*s%s\" has a character that is not lower-case hexadecimal at position %zu",
					    shown, s, more, alen + 1 + i + 1);
	}
	if (hlen != want)
		return bg_error_set(err, BG_E_INPUT,
				    "digest \"%.*s%s\" has %zu hex digits; %s needs exactly %zu",
				    shown, s, more, hlen, bg_digest_algorithm_name(a), want);
	if (alg)
		*alg = a;
	if (hex)
		*hex = h;
	return 0;
}

bool bg_digest_valid(const char *s)
{
	return bg_digest_parse(s, NULL, NULL, NULL) == 0;
}

bool bg_digest_equal(const char *a, const char *b)
{
	if (!bg_digest_valid(a) || !bg_digest_valid(b))
		return false;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb) /* lengths follow from the algorithm: not secret */
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
