/* Unit tests for digest.h: known vectors (FIPS 180-2 examples), streaming
 * equals one-shot, and the digest-string validation the linter and the
 * fetch/verify stages rely on. */
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "tap.h"

#define HEX64_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX64_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX128_A HEX64_A HEX64_A

static const struct vector {
	bg_digest_algorithm alg;
	const char *input;
	const char *digest;
} vectors[] = {
	{BG_DIGEST_SHA256, "",
	 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{BG_DIGEST_SHA256, "abc",
	 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{BG_DIGEST_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{BG_DIGEST_SHA512, "",
	 "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
	{BG_DIGEST_SHA512, "abc",
	 "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
};

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vector *v = &vectors[i];
		char out[BG_DIGEST_STRING_MAX] = "";
		bg_error err = {0};
		int rc = bg_digest_buffer(v->alg, v->input, strlen(v->input), out, &err);
		is_int(rc, 0, "one-shot %s(\"%s\") succeeds", bg_digest_algorithm_name(v->alg), v->input);
		is_str(out, v->digest, "one-shot %s(\"%s\") is the published value",
		       bg_digest_algorithm_name(v->alg), v->input);

		/* Byte by byte through the streaming interface. */
		bg_digest_ctx ctx = {0};
		char streamed[BG_DIGEST_STRING_MAX] = "";
		rc = bg_digest_init(&ctx, v->alg, &err);
		for (size_t k = 0; rc == 0 && v->input[k]; k++)
			rc = bg_digest_update(&ctx, v->input + k, 1);
		if (rc == 0)
			rc = bg_digest_final(&ctx, streamed, &err);
		is_int(rc, 0, "streamed %s(\"%s\") succeeds", bg_digest_algorithm_name(v->alg), v->input);
		is_str(streamed, v->digest, "streaming %s(\"%s\") byte by byte equals the one-shot digest",
		       bg_digest_algorithm_name(v->alg), v->input);
		ok(ctx.md == NULL, "final releases the OpenSSL context");
		ok(bg_digest_valid(out), "a computed digest passes bg_digest_valid");
	}
}

static void test_million_a(void)
{
	size_t n = 1000000;
	char *buf = malloc(n);
	if (!buf) {
		ok(false, "allocate 1 MB");
		return;
	}
	memset(buf, 'a', n);
	char one[BG_DIGEST_STRING_MAX], streamed[BG_DIGEST_STRING_MAX];
	bg_error err = {0};
	is_int(bg_digest_buffer(BG_DIGEST_SHA256, buf, n, one, &err), 0, "sha256 of 10^6 'a' succeeds");
	is_str(one, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "sha256 of 10^6 'a' is the FIPS 180-2 value");

	/* Odd chunk sizes cross the 64-byte block boundaries in every way. */
	bg_digest_ctx ctx = {0};
	int rc = bg_digest_init(&ctx, BG_DIGEST_SHA256, &err);
	size_t off = 0, chunk = 1;
	while (rc == 0 && off < n) {
		size_t k = chunk < n - off ? chunk : n - off;
		rc = bg_digest_update(&ctx, buf + off, k);
		off += k;
		chunk = chunk * 7 % 1021 + 1;
	}
	if (rc == 0)
		rc = bg_digest_final(&ctx, streamed, &err);
	is_int(rc, 0, "streaming 10^6 bytes in odd chunks succeeds");
	is_str(streamed, one, "streaming in odd chunks equals one-shot");

	is_int(bg_digest_buffer(BG_DIGEST_SHA512, buf, n, one, &err), 0, "sha512 of 10^6 'a' succeeds");
	is_str(one,
	       "sha512:e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
	       "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
	       "sha512 of 10^6 'a' is the FIPS 180-2 value");
	free(buf);
}

static void test_context_misuse(void)
{
	bg_digest_ctx ctx = {0};
	bg_error err = {0};
	char out[BG_DIGEST_STRING_MAX];
	ok(bg_digest_init(&ctx, (bg_digest_algorithm)99, &err) == BG_E_USAGE,
	   "init refuses an algorithm bootgate does not support");
	ok(strstr(err.message, "sha256") != NULL, "the refusal names the supported algorithms: %s", err.message);
	ok(bg_digest_init(&ctx, BG_DIGEST_NONE, &err) < 0, "init refuses BG_DIGEST_NONE");
	ok(bg_digest_update(&ctx, "x", 1) < 0, "update on a context that was never started fails");
	ok(bg_digest_final(&ctx, out, &err) < 0, "final on a context that was never started fails");
	ok(bg_digest_buffer((bg_digest_algorithm)3, "x", 1, out, &err) < 0, "one-shot refuses an unknown algorithm");

	/* Reset mid-stream, then reuse. */
	is_int(bg_digest_init(&ctx, BG_DIGEST_SHA256, &err), 0, "init after a failed init works");
	is_int(bg_digest_update(&ctx, "garbage", 7), 0, "update works");
	bg_digest_reset(&ctx);
	ok(ctx.md == NULL, "reset releases the context");
	bg_digest_reset(&ctx);
	bg_digest_reset(NULL);
	ok(true, "reset is idempotent and accepts NULL");
	ok(bg_digest_update(&ctx, "x", 1) < 0, "update after reset fails");
	is_int(bg_digest_init(&ctx, BG_DIGEST_SHA256, &err), 0, "a reset context can start again");
	is_int(bg_digest_final(&ctx, out, &err), 0, "and finish");
	is_str(out, vectors[0].digest, "with no stale state from before the reset");
}

static const struct validity {
	const char *s;
	bool valid;
	const char *why;
} validity[] = {
	{"sha256:" HEX64_A, true, "sha256 with 64 lower-case hex"},
	{"sha512:" HEX128_A, true, "sha512 with 128 lower-case hex"},
	{"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true, "all hex digits"},
	{"sha256:" HEX64_A "a", false, "sha256 with 65 hex"},
	{"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "sha256 with 63 hex"},
	{"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "short (32 hex, legal in the reference grammar)"},
	{"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false, "upper-case hex"},
	{"sha256:Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "one upper-case hex digit"},
	{"sha256:gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "non-hex letter"},
	{"sha256:", false, "empty hex part"},
	{"sha256", false, "no colon"},
	{"", false, "empty string"},
	{":" HEX64_A, false, "empty algorithm"},
	{"SHA256:" HEX64_A, false, "upper-case algorithm"},
	{"sha384:" HEX64_A HEX64_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "sha384 (96 hex) is not accepted"},
	{"sha512:" HEX64_A, false, "sha512 with only 64 hex"},
	{"sha256:" HEX128_A, false, "sha256 with 128 hex"},
	{"md5:d41d8cd98f00b204e9800998ecf8427e", false, "md5"},
	{"sha256+b64:" HEX64_A, false, "go-digest algorithm extension"},
	{" sha256:" HEX64_A, false, "leading space"},
	{"sha256:" HEX64_A " ", false, "trailing space"},
	{"sha256:" HEX64_A "\n", false, "trailing newline"},
	{"sha256::" HEX64_A, false, "double colon"},
	{"sha256:../../../../etc/passwd", false, "path traversal attempt"},
};

static void test_validity(void)
{
	for (size_t i = 0; i < sizeof validity / sizeof validity[0]; i++) {
		const struct validity *v = &validity[i];
		ok(bg_digest_valid(v->s) == v->valid, "bg_digest_valid: %s -> %s", v->why,
		   v->valid ? "valid" : "invalid");
	}
	ok(!bg_digest_valid(NULL), "bg_digest_valid(NULL) is false");
}

static void test_parse(void)
{
	bg_digest_algorithm alg = BG_DIGEST_NONE;
	const char *hex = NULL;
	bg_error err = {0};
	const char *d = "sha512:" HEX128_A;
	is_int(bg_digest_parse(d, &alg, &hex, &err), 0, "parse splits a sha512 digest");
	is_int(alg, BG_DIGEST_SHA512, "algorithm is sha512");
	ok(hex == d + 7, "hex points just past the colon");
	is_int(bg_digest_hex_length(alg), 128, "sha512 has 128 hex digits");

	d = "sha256:" HEX64_B;
	is_int(bg_digest_parse(d, &alg, NULL, &err), 0, "parse accepts NULL for hex");
	is_int(alg, BG_DIGEST_SHA256, "algorithm is sha256");

	is_int(bg_digest_parse("sha384:" HEX64_A, &alg, &hex, &err), BG_E_INPUT, "sha384 is refused");
	ok(strstr(err.message, "sha384") && strstr(err.message, "sha256 and sha512"),
	   "the message names the algorithm and what is accepted: %s", err.message);
	is_int(bg_digest_parse("sha256:abc", NULL, NULL, &err), BG_E_INPUT, "short hex is refused");
	ok(strstr(err.message, "3 hex digits") && strstr(err.message, "64"),
	   "the message gives the length found and needed: %s", err.message);
	is_int(bg_digest_parse("sha256:" HEX64_A "X", NULL, NULL, &err), BG_E_INPUT, "a stray character is refused");
	ok(strstr(err.message, "position 72") != NULL, "the message gives the 1-based position: %s", err.message);
	is_int(bg_digest_parse(HEX64_A, NULL, NULL, &err), BG_E_INPUT, "bare hex without algorithm is refused");
	ok(strstr(err.message, "no algorithm") != NULL, "the message says the algorithm is missing: %s", err.message);
	is_int(bg_digest_parse(NULL, NULL, NULL, &err), BG_E_INPUT, "NULL is refused");
	ok(strcmp(bg_digest_algorithm_name(BG_DIGEST_NONE) ? "x" : "null", "null") == 0,
	   "BG_DIGEST_NONE has no name");
}

static void test_equal(void)
{
	const char *a = "sha256:" HEX64_A, *b = "sha256:" HEX64_B;
	char a2[BG_DIGEST_STRING_MAX];
	strcpy(a2, a);
	ok(bg_digest_equal(a, a2), "equal digests in different buffers compare equal");
	ok(!bg_digest_equal(a, b), "different digests are unequal");
	a2[70] = 'b';
	ok(!bg_digest_equal(a, a2), "a difference in the last digit is found");
	ok(!bg_digest_equal(a, "sha512:" HEX128_A), "different algorithms are unequal");
	ok(!bg_digest_equal("sha256:abc", "sha256:abc"), "an invalid digest never equals, not even itself");
	ok(!bg_digest_equal("", ""), "empty strings are not equal digests");
	ok(!bg_digest_equal(NULL, NULL), "NULL never equals");
	ok(!bg_digest_equal(a, NULL), "NULL never equals a valid digest");
	ok(!bg_digest_equal("sha256:" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", a),
	   "upper-case hex is not a case-insensitive match");
}

int main(void)
{
	test_vectors();
	test_million_a();
	test_context_misuse();
	test_validity();
	test_parse();
	test_equal();
	return tap_done();
}
