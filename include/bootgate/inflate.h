/* bootgate — layer decompression: gzip through ISA-L's igzip inflate, zstd
 * through libzstd's streaming decoder, plain tar passed through.
 *
 * The compression is decided twice, by the descriptor's media type and by
 * the magic bytes at the start of the blob (gzip 1f 8b, zstd 28 b5 2f fd or
 * a skippable frame 5? 2a 4d 18), and the two must agree: a "tar+gzip" layer
 * that is not gzip, or a "tar" layer that is, is refused.
 *
 * The stream is read to its very end: a gzip blob may hold several members
 * (each must be gzip, each trailer's CRC and length must match), and any
 * bytes after the last member that do not start another member are an
 * error ("trailing garbage"), as is a stream cut short.  The uncompressed
 * size is capped (BG_MAX_LAYER_UNCOMPRESSED_BYTES, or the caller's cap) and
 * so is the ratio (BG_MAX_INFLATE_RATIO after BG_INFLATE_RATIO_GRACE bytes):
 * a decompression bomb fails as soon as it crosses either.
 *
 * Memory is fixed: one input buffer and the decoder's own state. */
#ifndef BOOTGATE_INFLATE_H
#define BOOTGATE_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bootgate/error.h"

typedef enum bg_compression {
	BG_COMPRESSION_UNKNOWN = -1,
	BG_COMPRESSION_NONE = 0,
	BG_COMPRESSION_GZIP = 1,
	BG_COMPRESSION_ZSTD = 2,
} bg_compression;

/* "none", "gzip", "zstd", "unknown". */
const char *bg_compression_name(bg_compression c);

/* The compression a layer media type declares (OCI tar, tar+gzip, tar+zstd
 * and their non-distributable forms; Docker rootfs.diff.tar, .tar.gzip,
 * .tar.zstd, foreign forms).  BG_E_EVAL for any other media type. */
int bg_compression_from_media_type(const char *media_type, bg_compression *out, bg_error *err);

/* The compression the first bytes show (needs up to 4 bytes; fewer bytes
 * only match NONE). */
bg_compression bg_compression_sniff(const void *data, size_t len);

/* Where compressed bytes come from: returns bytes read, 0 at the end (which
 * the reader has verified), or a negative bg_status with err filled. */
typedef ssize_t (*bg_inflate_read_fn)(void *ctx, void *buf, size_t len, bg_error *err);

typedef struct bg_inflate bg_inflate;

/* A decoder over `read`.  `declared` is the media type's compression
 * (BG_COMPRESSION_UNKNOWN: trust the magic bytes alone).  max_out: most
 * uncompressed bytes accepted (0: BG_MAX_LAYER_UNCOMPRESSED_BYTES).  `what`
 * names the blob in messages.  Reads nothing until the first
 * bg_inflate_read. */
int bg_inflate_new(bg_compression declared, bg_inflate_read_fn read, void *ctx, uint64_t max_out,
		   const char *what, bg_inflate **out, bg_error *err);

/* Up to len uncompressed bytes; 0 at the end of the stream (every input
 * byte consumed, trailer checked); negative bg_status on any error (the
 * error is sticky: later calls repeat it).  Errors in the data are
 * BG_E_INPUT (corrupt, truncated, trailing garbage, mismatch, bomb); errors
 * from the reader are passed through. */
ssize_t bg_inflate_read(bg_inflate *z, void *buf, size_t len, bg_error *err);

/* The compression actually found (after the first read). */
bg_compression bg_inflate_compression(const bg_inflate *z);
uint64_t bg_inflate_bytes_in(const bg_inflate *z);
uint64_t bg_inflate_bytes_out(const bg_inflate *z);

void bg_inflate_free(bg_inflate *z);

#endif
