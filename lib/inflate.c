/* bootgate — layer decompression (inflate.h): ISA-L for gzip, libzstd for
 * zstd, a passthrough for plain tar; magic bytes checked against the media
 * type; the whole stream read, trailing bytes refused; bomb caps. */
#include "bootgate/inflate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "bootgate/limits.h"
#include "util.h"

#define INFLATE_INBUF (256 * 1024)

struct bg_inflate {
	bg_compression declared, found;
	bg_inflate_read_fn read;
	void *ctx;
	char *what;
	uint64_t max_out;
	unsigned char *in;       /* INFLATE_INBUF bytes */
	size_t in_pos, in_len;   /* unread input is in[in_pos..in_len) */
	bool in_eof;             /* the reader returned 0 */
	bool started, done;
	bool failed;
	bg_error failure;
	uint64_t bytes_in;       /* compressed bytes read from the reader */
	uint64_t bytes_out;
	/* gzip */
	struct inflate_state *gz;
	bool gz_member_open;     /* inside a member (header seen, trailer not yet) */
	unsigned gz_members;
	/* zstd */
	ZSTD_DCtx *zd;
	size_t zstd_last;        /* last ZSTD_decompressStream result: 0 = frame complete */
};

const char *bg_compression_name(bg_compression c)
{
	switch (c) {
	case BG_COMPRESSION_NONE: return "none";
	case BG_COMPRESSION_GZIP: return "gzip";
	case BG_COMPRESSION_ZSTD: return "zstd";
	default: return "unknown";
	}
}

int bg_compression_from_media_type(const char *mt, bg_compression *out, bg_error *err)
{
	static const struct {
		const char *media_type;
		bg_compression c;
	} table[] = {
		{ "application/vnd.oci.image.layer.v1.tar", BG_COMPRESSION_NONE },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", BG_COMPRESSION_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", BG_COMPRESSION_ZSTD },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", BG_COMPRESSION_NONE },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", BG_COMPRESSION_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", BG_COMPRESSION_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar", BG_COMPRESSION_NONE },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", BG_COMPRESSION_GZIP },
		{ "application/vnd.docker.image.rootfs.diff.tar.zstd", BG_COMPRESSION_ZSTD },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar", BG_COMPRESSION_NONE },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", BG_COMPRESSION_GZIP },
	};
	for (size_t i = 0; mt && i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(mt, table[i].media_type) == 0) {
			*out = table[i].c;
			return 0;
		}
	}
	return bg_error_set(err, BG_E_EVAL,
			    "layer media type \"%.200s\" is not a tar layer bootgate can read "
			    "(expected an OCI or Docker tar, tar+gzip or tar+zstd layer)",
			    mt ? mt : "(none)");
}

bg_compression bg_compression_sniff(const void *data, size_t len)
{
	const unsigned char *p = data;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return BG_COMPRESSION_GZIP;
	if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return BG_COMPRESSION_ZSTD;
	/* A zstd skippable frame (zstd:chunked starts with data frames, but a
	 * stream may begin with one): magic 0x184D2A5? little-endian. */
	if (len >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return BG_COMPRESSION_ZSTD;
	return BG_COMPRESSION_NONE;
}

int bg_inflate_new(bg_compression declared, bg_inflate_read_fn read, void *ctx, uint64_t max_out,
		   const char *what, bg_inflate **out, bg_error *err)
{
	*out = NULL;
	bg_inflate *z = calloc(1, sizeof *z);
	if (!z)
		return bg_error_set(err, BG_E_NOMEM, "out of memory setting up decompression");
	z->declared = declared;
	z->found = BG_COMPRESSION_UNKNOWN;
	z->read = read;
	z->ctx = ctx;
	z->max_out = max_out ? max_out : BG_MAX_LAYER_UNCOMPRESSED_BYTES;
	z->what = bg_strdup(what ? what : "layer");
	z->in = malloc(INFLATE_INBUF);
	if (!z->what || !z->in) {
		bg_inflate_free(z);
		return bg_error_set(err, BG_E_NOMEM, "out of memory setting up decompression");
	}
	*out = z;
	return 0;
}

void bg_inflate_free(bg_inflate *z)
{
	if (!z)
		return;
	free(z->gz);
	ZSTD_freeDCtx(z->zd);
	free(z->in);
	free(z->what);
	free(z);
}

bg_compression bg_inflate_compression(const bg_inflate *z) { return z->found; }
uint64_t bg_inflate_bytes_in(const bg_inflate *z) { return z->bytes_in; }
uint64_t bg_inflate_bytes_out(const bg_inflate *z) { return z->bytes_out; }

static int fail(bg_inflate *z, bg_error *err, bg_status status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records the first failure; every later call repeats it. */
static int fail(bg_inflate *z, bg_error *err, bg_status status, const char *fmt, ...)
{
	if (!z->failed) {
		va_list ap;
		va_start(ap, fmt);
		char msg[BG_ERROR_MAX];
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		bg_error_set(&z->failure, status, "%s: %s", z->what, msg);
		z->failed = true;
	}
	if (err)
		*err = z->failure;
	return z->failure.status;
}

static int fail_reader(bg_inflate *z, bg_error *err, const bg_error *from)
{
	if (!z->failed) {
		z->failure = *from;
		z->failed = true;
	}
	if (err)
		*err = z->failure;
	return z->failure.status;
}

/* Moves unread input to the front and reads more behind it until at least
 * `want` bytes are buffered or the reader ends.  Returns 0 or a negative
 * status. */
static int fill(bg_inflate *z, size_t want, bg_error *err)
{
	if (z->in_pos > 0) {
		memmove(z->in, z->in + z->in_pos, z->in_len - z->in_pos);
		z->in_len -= z->in_pos;
		z->in_pos = 0;
	}
	if (want > INFLATE_INBUF)
		want = INFLATE_INBUF;
	while (!z->in_eof && z->in_len < want) {
		bg_error rerr = {0};
		ssize_t n = z->read(z->ctx, z->in + z->in_len, INFLATE_INBUF - z->in_len, &rerr);
		if (n < 0)
			return fail_reader(z, err, &rerr);
		if (n == 0)
			z->in_eof = true;
		z->in_len += (size_t)n;
		z->bytes_in += (uint64_t)n;
	}
	return 0;
}

static size_t avail(const bg_inflate *z) { return z->in_len - z->in_pos; }

/* The bomb caps, checked after every output step.  consumed: compressed
 * bytes the decoder has actually used. */
static int check_caps(bg_inflate *z, uint64_t consumed, bg_error *err)
{
	if (z->bytes_out > z->max_out)
		return fail(z, err, BG_E_INPUT,
			    "decompresses to more than %llu bytes: refused as a decompression bomb",
			    (unsigned long long)z->max_out);
	if (z->bytes_out > BG_INFLATE_RATIO_GRACE && consumed &&
	    z->bytes_out / consumed > BG_MAX_INFLATE_RATIO)
		return fail(z, err, BG_E_INPUT,
			    "decompresses more than %llu times its compressed size (%llu bytes from "
			    "%llu): refused as a decompression bomb",
			    (unsigned long long)BG_MAX_INFLATE_RATIO, (unsigned long long)z->bytes_out,
			    (unsigned long long)consumed);
	return 0;
}

static int start(bg_inflate *z, bg_error *err)
{
	int rc = fill(z, 4, err);
	if (rc < 0)
		return rc;
	z->found = bg_compression_sniff(z->in, z->in_len);
	if (z->declared != BG_COMPRESSION_UNKNOWN && z->declared != z->found)
		return fail(z, err, BG_E_INPUT,
			    "the media type says %s but the data is %s: refused (the descriptor and "
			    "the blob must agree)",
			    z->declared == BG_COMPRESSION_NONE ? "uncompressed tar"
							       : bg_compression_name(z->declared),
			    z->found == BG_COMPRESSION_NONE ? "not gzip or zstd"
							    : bg_compression_name(z->found));
	if (z->found == BG_COMPRESSION_GZIP) {
		z->gz = malloc(sizeof *z->gz);
		if (!z->gz)
			return fail(z, err, BG_E_NOMEM, "out of memory");
		isal_inflate_init(z->gz);
		z->gz->crc_flag = ISAL_GZIP;
		z->gz_member_open = true;
		z->gz_members = 1;
	} else if (z->found == BG_COMPRESSION_ZSTD) {
		z->zd = ZSTD_createDCtx();
		if (!z->zd)
			return fail(z, err, BG_E_NOMEM, "out of memory");
		z->zstd_last = 0;
	}
	z->started = true;
	return 0;
}

static ssize_t read_none(bg_inflate *z, void *buf, size_t len, bg_error *err)
{
	if (avail(z) == 0) {
		if (z->in_eof)
			return 0;
		/* Large reads go straight to the caller's buffer. */
		bg_error rerr = {0};
		ssize_t n = z->read(z->ctx, buf, len, &rerr);
		if (n < 0)
			return fail_reader(z, err, &rerr);
		if (n == 0)
			z->in_eof = true;
		z->bytes_in += (uint64_t)n;
		z->bytes_out += (uint64_t)n;
		int rc = check_caps(z, z->bytes_in, err);
		return rc < 0 ? rc : n;
	}
	size_t n = avail(z) < len ? avail(z) : len;
	memcpy(buf, z->in + z->in_pos, n);
	z->in_pos += n;
	z->bytes_out += n;
	int rc = check_caps(z, z->bytes_in, err);
	return rc < 0 ? rc : (ssize_t)n;
}

static const char *isal_error_name(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid deflate distance";
	case ISAL_INVALID_WRAPPER: return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "unsupported gzip compression method";
	case ISAL_INCORRECT_CHECKSUM: return "gzip CRC or length mismatch";
	default: return "corrupt gzip data";
	}
}

static ssize_t read_gzip(bg_inflate *z, void *buf, size_t len, bg_error *err)
{
	for (;;) {
		if (!z->gz_member_open) {
			/* Between members: the end, another member, or garbage. */
			int rc = fill(z, 2, err);
			if (rc < 0)
				return rc;
			if (avail(z) == 0)
				return 0;
			if (avail(z) < 2 || z->in[z->in_pos] != 0x1f || z->in[z->in_pos + 1] != 0x8b)
				return fail(z, err, BG_E_INPUT,
					    "%zu%s byte(s) of trailing data after gzip member %u that "
					    "are not another gzip member: refused (the blob is not "
					    "what a runtime would read)",
					    avail(z), z->in_eof ? "" : "+", z->gz_members);
			isal_inflate_reset(z->gz);
			z->gz->crc_flag = ISAL_GZIP;
			z->gz_member_open = true;
			z->gz_members++;
		}
		if (avail(z) == 0 && !z->in_eof) {
			int rc = fill(z, 1, err);
			if (rc < 0)
				return rc;
		}
		struct inflate_state *s = z->gz;
		s->next_in = z->in + z->in_pos;
		s->avail_in = (uint32_t)avail(z);
		s->next_out = buf;
		s->avail_out = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
		uint32_t before_in = s->avail_in, before_out = s->avail_out;
		int rc = isal_inflate(s);
		if (rc < 0)
			return fail(z, err, BG_E_INPUT, "%s (gzip member %u, near compressed byte %llu)",
				    isal_error_name(rc), z->gz_members,
				    (unsigned long long)(z->bytes_in - avail(z)));
		z->in_pos += before_in - s->avail_in;
		size_t produced = before_out - s->avail_out;
		z->bytes_out += produced;
		rc = check_caps(z, z->bytes_in - avail(z), err);
		if (rc < 0)
			return rc;
		if (s->block_state == ISAL_BLOCK_FINISH)
			z->gz_member_open = false;
		if (produced > 0)
			return (ssize_t)produced;
		if (z->gz_member_open && avail(z) == 0 && z->in_eof)
			return fail(z, err, BG_E_INPUT,
				    "the gzip stream ends in the middle of member %u: truncated",
				    z->gz_members);
		if (z->gz_member_open && before_in == s->avail_in && avail(z) > 0 &&
		    avail(z) == before_in) {
			/* No progress with input available: ISA-L wants more
			 * than is buffered at once (header fields). */
			size_t have = avail(z);
			rc = fill(z, have + 1, err);
			if (rc < 0)
				return rc;
			if (avail(z) == have && z->in_eof)
				return fail(z, err, BG_E_INPUT,
					    "the gzip stream ends in the middle of member %u: truncated",
					    z->gz_members);
		}
	}
}

static ssize_t read_zstd(bg_inflate *z, void *buf, size_t len, bg_error *err)
{
	for (;;) {
		if (avail(z) == 0) {
			int rc = fill(z, 1, err);
			if (rc < 0)
				return rc;
			if (avail(z) == 0) {
				if (z->zstd_last != 0)
					return fail(z, err, BG_E_INPUT,
						    "the zstd stream ends in the middle of a frame: truncated");
				return 0;
			}
		}
		ZSTD_inBuffer in = { z->in + z->in_pos, avail(z), 0 };
		ZSTD_outBuffer out = { buf, len, 0 };
		size_t r = ZSTD_decompressStream(z->zd, &out, &in);
		if (ZSTD_isError(r))
			return fail(z, err, BG_E_INPUT,
				    "%s near compressed byte %llu%s", ZSTD_getErrorName(r),
				    (unsigned long long)(z->bytes_in - avail(z) + in.pos),
				    ZSTD_getErrorCode(r) == ZSTD_error_prefix_unknown
					    ? " (trailing data after the last zstd frame?)"
					    : "");
		z->zstd_last = r;
		z->in_pos += in.pos;
		z->bytes_out += out.pos;
		int rc = check_caps(z, z->bytes_in - avail(z), err);
		if (rc < 0)
			return rc;
		if (out.pos > 0)
			return (ssize_t)out.pos;
	}
}

ssize_t bg_inflate_read(bg_inflate *z, void *buf, size_t len, bg_error *err)
{
	if (z->failed)
		return fail(z, err, z->failure.status, "%s", "");
	if (len == 0)
		return 0;
	if (!z->started) {
		int rc = start(z, err);
		if (rc < 0)
			return rc;
	}
	switch (z->found) {
	case BG_COMPRESSION_GZIP: return read_gzip(z, buf, len, err);
	case BG_COMPRESSION_ZSTD: return read_zstd(z, buf, len, err);
	default: return read_none(z, buf, len, err);
	}
}
