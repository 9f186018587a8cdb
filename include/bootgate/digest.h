/* bootgate — content digests: "sha256:<hex>" strings, computed and checked.
 *
 * bootgate accepts exactly two digest algorithms, the ones registries and
 * OCI layouts use: sha256 (64 lower-case hex digits) and sha512 (128).
 * Everything else — sha384, upper-case hex, wrong length, an empty hex part,
 * another algorithm — is invalid here, even where go-digest or the reference
 * grammar would accept it.  The linter uses bg_digest_valid() to tell a
 * malformed digest from a missing one.
 *
 * Streaming use (one pass over a layer, no copy):
 *
 *     bg_digest_ctx ctx = {0};
 *     char hex[BG_DIGEST_STRING_MAX];
 *     if (bg_digest_init(&ctx, BG_DIGEST_SHA256, err) < 0) return ...;
 *     while (more) bg_digest_update(&ctx, buf, n);
 *     rc = bg_digest_final(&ctx, hex, err);     // hex = "sha256:e3b0..."
 *
 * bg_digest_reset() releases a context that will not be finished (error
 * paths); it is a no-op on a zeroed, finished or NULL context. */
#ifndef BOOTGATE_DIGEST_H
#define BOOTGATE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"

typedef enum bg_digest_algorithm {
	BG_DIGEST_NONE = 0,
	BG_DIGEST_SHA256 = 1,
	BG_DIGEST_SHA512 = 2,
} bg_digest_algorithm;

/* Longest digest string including the NUL: "sha512:" + 128 hex + NUL. */
#define BG_DIGEST_STRING_MAX (7 + 128 + 1)

typedef struct bg_digest_ctx {
	bg_digest_algorithm algorithm;
	void *md; /* OpenSSL EVP_MD_CTX, owned; NULL when not running */
} bg_digest_ctx;

/* Start hashing with alg.  Fails (BG_E_USAGE) for an algorithm bootgate does
 * not accept, BG_E_NOMEM/BG_E_EVAL when OpenSSL cannot set up. */
int bg_digest_init(bg_digest_ctx *ctx, bg_digest_algorithm alg, bg_error *err);
/* Hash len more bytes.  Returns 0, or BG_E_EVAL if the context is not running
 * or OpenSSL fails (the context is then unusable: reset it). */
int bg_digest_update(bg_digest_ctx *ctx, const void *data, size_t len);
/* Finish and write "alg:hex" into out (BG_DIGEST_STRING_MAX bytes).  The
 * context is released whatever the outcome. */
int bg_digest_final(bg_digest_ctx *ctx, char out[BG_DIGEST_STRING_MAX], bg_error *err);
/* Release a context without finishing it.  Accepts NULL. */
void bg_digest_reset(bg_digest_ctx *ctx);

/* One-shot digest of a buffer. */
int bg_digest_buffer(bg_digest_algorithm alg, const void *data, size_t len,
		     char out[BG_DIGEST_STRING_MAX], bg_error *err);

/* "sha256" / "sha512"; NULL for anything else. */
const char *bg_digest_algorithm_name(bg_digest_algorithm alg);
/* Number of hex digits the algorithm's digests have (64/128), 0 if unknown. */
size_t bg_digest_hex_length(bg_digest_algorithm alg);

/* True iff s is "sha256:" + exactly 64 or "sha512:" + exactly 128
 * lower-case hex digits and nothing else.  NULL is invalid. */
bool bg_digest_valid(const char *s);

/* Split a digest into algorithm and hex part after validating it as
 * bg_digest_valid does.  *hex points into s.  Either output may be NULL.
 * The error (BG_E_INPUT) says what is wrong: no ':', unsupported algorithm,
 * wrong length, or a character that is not lower-case hex. */
int bg_digest_parse(const char *s, bg_digest_algorithm *alg, const char **hex, bg_error *err);

/* Compare two digests without an early exit on the first differing byte.
 * Both must be valid (bg_digest_valid): an invalid or NULL digest never
 * equals anything, not even itself, so a malformed expectation cannot pass. */
bool bg_digest_equal(const char *a, const char *b);

#endif
