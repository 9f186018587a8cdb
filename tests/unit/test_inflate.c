/* inflate: gzip (ISA-L), zstd, plain; media type vs magic; multi-member
 * gzip; trailing garbage; truncation; corruption; bomb caps; readers that
 * hand out one byte at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/inflate.h"
#include "bootgate/limits.h"
#include "tests/tap.h"
#include "tests/unit/layerfixture.h"

typedef struct memsrc {
	const unsigned char *p;
	size_t len, pos, chunk;
	bool fail_at_end;
} memsrc;

static ssize_t mem_read(void *ctx, void *buf, size_t len, bg_error *err)
{
	memsrc *m = ctx;
	if (m->pos == m->len) {
		if (m->fail_at_end)
			return bg_error_set(err, BG_E_EVAL, "reader: digest mismatch");
		return 0;
	}
	size_t n = m->len - m->pos;
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

/* Inflates all of data; returns 0 and the output, or the error. */
static int run(bg_compression declared, const lf_buf *data, size_t chunk, uint64_t max_out,
	       lf_buf *out, bg_error *err)
{
	memsrc m = { data->p, data->len, 0, chunk, false };
	bg_inflate *z = NULL;
	int rc = bg_inflate_new(declared, mem_read, &m, max_out, "test blob", &z, err);
	if (rc < 0)
		return rc;
	unsigned char buf[7919];
	for (;;) {
		ssize_t n = bg_inflate_read(z, buf, sizeof buf, err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		if (out)
			lf_buf_add(out, buf, (size_t)n);
	}
	bg_inflate_free(z);
	return rc;
}

static lf_buf text_of(size_t n)
{
	lf_buf b = {0};
	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + (i * 7 + i / 13) % 26);
		lf_buf_add(&b, &c, 1);
	}
	return b;
}

static void test_media_types(void)
{
	bg_compression c;
	bg_error err = {0};
	ok(bg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+gzip", &c, &err) == 0 &&
		   c == BG_COMPRESSION_GZIP, "OCI tar+gzip is gzip");
	ok(bg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+zstd", &c, &err) == 0 &&
		   c == BG_COMPRESSION_ZSTD, "OCI tar+zstd is zstd");
	ok(bg_compression_from_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip", &c, &err) == 0 &&
		   c == BG_COMPRESSION_GZIP, "Docker rootfs.diff.tar.gzip is gzip");
	ok(bg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar", &c, &err) == 0 &&
		   c == BG_COMPRESSION_NONE, "OCI tar is uncompressed");
	ok(bg_compression_from_media_type("application/vnd.oci.image.layer.v1.tar+bzip2", &c, &err) < 0 &&
		   strstr(err.message, "tar+bzip2"), "an unknown layer media type is refused");
	ok(bg_compression_from_media_type(NULL, &c, &err) < 0, "no media type is refused");
	const unsigned char gz[] = { 0x1f, 0x8b, 8, 0 }, zs[] = { 0x28, 0xb5, 0x2f, 0xfd },
			    skip[] = { 0x50, 0x2a, 0x4d, 0x18 }, tar[] = { 'e', 't', 'c', '/' };
	ok(bg_compression_sniff(gz, 4) == BG_COMPRESSION_GZIP, "gzip magic");
	ok(bg_compression_sniff(zs, 4) == BG_COMPRESSION_ZSTD, "zstd magic");
	ok(bg_compression_sniff(skip, 4) == BG_COMPRESSION_ZSTD, "zstd skippable frame magic");
	ok(bg_compression_sniff(tar, 4) == BG_COMPRESSION_NONE, "anything else is plain");
	ok(bg_compression_sniff(zs, 3) == BG_COMPRESSION_NONE, "3 bytes of zstd magic are not zstd");
}

static void test_roundtrips(void)
{
	lf_buf plain = text_of(300000);
	int kinds[] = { LF_GZIP, LF_ZSTD, LF_NONE };
	bg_compression decl[] = { BG_COMPRESSION_GZIP, BG_COMPRESSION_ZSTD, BG_COMPRESSION_NONE };
	for (int k = 0; k < 3; k++) {
		lf_buf comp = {0};
		lf_compress(&plain, kinds[k], &comp);
		size_t chunks[] = { 1, 3, 0 };
		for (int c = 0; c < 3; c++) {
			lf_buf out = {0};
			bg_error err = {0};
			int rc = run(decl[k], &comp, chunks[c], 0, &out, &err);
			ok(rc == 0 && out.len == plain.len && memcmp(out.p, plain.p, plain.len) == 0,
			   "%s round trip, reader chunks of %zu (%s)", bg_compression_name(decl[k]), chunks[c],
			   err.message);
			free(out.p);
		}
		lf_buf out = {0};
		bg_error err = {0};
		ok(run(BG_COMPRESSION_UNKNOWN, &comp, 0, 0, &out, &err) == 0 && out.len == plain.len,
		   "%s detected from the magic alone", bg_compression_name(decl[k]));
		free(out.p);
		free(comp.p);
	}
	lf_buf empty = {0}, out = {0};
	bg_error err = {0};
	ok(run(BG_COMPRESSION_NONE, &empty, 0, 0, &out, &err) == 0 && out.len == 0,
	   "an empty plain stream is empty");
	ok(run(BG_COMPRESSION_GZIP, &empty, 0, 0, &out, &err) < 0, "an empty stream is not gzip");
	free(plain.p);
}

static void test_gzip_members_and_garbage(void)
{
	lf_buf a = text_of(5000), b = text_of(7000), comp = {0};
	lf_compress(&a, LF_GZIP, &comp);
	lf_compress(&b, LF_GZIP, &comp);
	lf_buf out = {0};
	bg_error err = {0};
	ok(run(BG_COMPRESSION_GZIP, &comp, 1, 0, &out, &err) == 0 && out.len == 12000 &&
		   memcmp(out.p + 5000, b.p, 7000) == 0,
	   "two gzip members are one stream (byte-at-a-time reader) (%s)", err.message);
	free(out.p);

	const char *tails[] = { "GARBAGE", "\x1f", "\0\0\0\0", "\x1f\x8b" };
	size_t tail_len[] = { 7, 1, 4, 2 };
	const char *expect[] = { "trailing", "trailing", "trailing", "truncated" };
	for (int i = 0; i < 4; i++) {
		lf_buf bad = {0};
		lf_buf_add(&bad, comp.p, comp.len);
		lf_buf_add(&bad, tails[i], tail_len[i]);
		memset(&err, 0, sizeof err);
		int rc = run(BG_COMPRESSION_GZIP, &bad, 0, 0, NULL, &err);
		ok(rc == BG_E_INPUT && strstr(err.message, expect[i]),
		   "gzip followed by %zu byte(s) of junk is refused (%s)", tail_len[i], err.message);
		free(bad.p);
	}
	/* Truncated: the trailer is cut. */
	lf_buf cut = {0};
	lf_buf_add(&cut, comp.p, comp.len - 3);
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_GZIP, &cut, 0, 0, NULL, &err) == BG_E_INPUT,
	   "a gzip stream cut in the trailer is refused (%s)", err.message);
	free(cut.p);
	/* CRC damaged. */
	lf_buf crc = {0};
	lf_buf_add(&crc, comp.p, comp.len);
	crc.p[crc.len - 6] ^= 0x55;
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_GZIP, &crc, 0, 0, NULL, &err) == BG_E_INPUT && strstr(err.message, "CRC"),
	   "a wrong gzip CRC is refused (%s)", err.message);
	free(crc.p);
	/* Damaged deflate data. */
	lf_buf bad = {0};
	lf_buf_add(&bad, comp.p, comp.len);
	for (size_t i = 12; i < 40; i++)
		bad.p[i] = 0xff;
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_GZIP, &bad, 0, 0, NULL, &err) == BG_E_INPUT,
	   "corrupt deflate data is refused (%s)", err.message);
	free(bad.p);
	free(comp.p);
	free(a.p);
	free(b.p);
}

static void test_zstd_errors(void)
{
	lf_buf plain = text_of(100000), comp = {0};
	lf_compress(&plain, LF_ZSTD, &comp);
	lf_buf cut = {0};
	lf_buf_add(&cut, comp.p, comp.len / 2);
	bg_error err = {0};
	ok(run(BG_COMPRESSION_ZSTD, &cut, 0, 0, NULL, &err) == BG_E_INPUT && strstr(err.message, "truncated"),
	   "a truncated zstd stream is refused (%s)", err.message);
	lf_buf two = {0};
	lf_buf_add(&two, comp.p, comp.len);
	lf_buf_add(&two, comp.p, comp.len);
	lf_buf out = {0};
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_ZSTD, &two, 0, 0, &out, &err) == 0 && out.len == 2 * plain.len,
	   "two zstd frames are one stream");
	free(out.p);
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_GZIP, &comp, 0, 0, NULL, &err) == BG_E_INPUT &&
		   strstr(err.message, "media type says gzip but the data is zstd"),
	   "zstd data under a gzip media type is refused (%s)", err.message);
	free(cut.p);
	free(two.p);
	free(comp.p);
	free(plain.p);
}

static void test_caps_and_errors(void)
{
	lf_buf plain = text_of(200000), comp = {0};
	lf_compress(&plain, LF_GZIP, &comp);
	bg_error err = {0};
	ok(run(BG_COMPRESSION_GZIP, &comp, 0, 100000, NULL, &err) == BG_E_INPUT &&
		   strstr(err.message, "bomb"),
	   "the uncompressed cap stops the stream (%s)", err.message);
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_GZIP, &comp, 0, 200000, NULL, &err) == 0,
	   "exactly the cap is accepted");
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_NONE, &plain, 0, 1000, NULL, &err) == BG_E_INPUT,
	   "the cap applies to plain tar too");

	/* A reader error (e.g. digest mismatch at EOF) comes through unchanged,
	 * and the error is sticky. */
	memsrc m = { comp.p, comp.len, 0, 0, true };
	bg_inflate *z = NULL;
	bg_inflate_new(BG_COMPRESSION_GZIP, mem_read, &m, 0, "blob", &z, &err);
	unsigned char buf[65536];
	ssize_t n;
	while ((n = bg_inflate_read(z, buf, sizeof buf, &err)) > 0)
		;
	ok(n == BG_E_EVAL && strstr(err.message, "digest mismatch"), "a reader error is passed through");
	memset(&err, 0, sizeof err);
	ok(bg_inflate_read(z, buf, sizeof buf, &err) == BG_E_EVAL && strstr(err.message, "digest"),
	   "and repeated on the next read");
	bg_inflate_free(z);
	bg_inflate_free(NULL);
	free(comp.p);
	free(plain.p);

	/* The ratio cap: 100 MiB of zeros deflate ~1030:1. */
	lf_buf zeros = {0};
	zeros.p = calloc(1, 100 * BG_MiB);
	zeros.len = zeros.cap = 100 * BG_MiB;
	lf_buf bomb = {0};
	lf_compress(&zeros, LF_GZIP, &bomb);
	memset(&err, 0, sizeof err);
	ok(run(BG_COMPRESSION_GZIP, &bomb, 0, 0, NULL, &err) == BG_E_INPUT &&
		   strstr(err.message, "times its compressed size"),
	   "a gzip bomb (%zu bytes -> 100 MiB) is refused by the ratio cap (%s)", bomb.len, err.message);
	free(bomb.p);
	free(zeros.p);
}

int main(void)
{
	test_media_types();
	test_roundtrips();
	test_gzip_members_and_garbage();
	test_zstd_errors();
	test_caps_and_errors();
	return tap_done();
}
