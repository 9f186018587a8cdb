/* scancache: round trip, atomic files, and every way a cache file must be
 * ignored (corrupt, truncated, other version, other key, untrusted dir). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bootgate/digest.h"
#include "bootgate/scancache.h"
#include "lib/util.h"
#include "tests/tap.h"
#include "tests/unit/imgfixture.h"

#define LAYER "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define PATHS "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define DIFF "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static bg_layer_scan *sample(void)
{
	bg_layer_scan *s = calloc(1, sizeof *s);
	s->digest = strdup(LAYER);
	s->diff_id = strdup(DIFF);
	s->media_type = strdup("application/vnd.oci.image.layer.v1.tar+gzip");
	s->bytes_in = 123;
	s->bytes_out = 456;
	s->tar_entries = 789;
	s->n_entries = 3;
	s->entries = calloc(3, sizeof *s->entries);
	s->entries[0] = (bg_layer_entry){ .path = strdup("etc/audit/audit.rules"), .type = BG_ENTRY_FILE,
					  .mode = 0640, .uid = 0, .gid = 4, .size = 4,
					  .data = (unsigned char *)strdup("-D\n\0"), .len = 4, .seq = 7 };
	s->entries[1] = (bg_layer_entry){ .path = strdup("etc/audit/link"), .type = BG_ENTRY_SYMLINK,
					  .mode = 0777, .link = strdup("audit.rules"), .seq = 8 };
	s->entries[2] = (bg_layer_entry){ .path = strdup("etc/audit/big"), .type = BG_ENTRY_FILE,
					  .mode = 0600, .size = 5u << 20, .too_large = true,
					  .was_hardlink = true, .seq = 9 };
	return s;
}

static char *file_of(const char *dir)
{
	return fx_printf("%s/layers/%s-%.32s.scan", dir, &LAYER[7], &PATHS[7]);
}

/* Rewrites a cache file with `edit` applied and a fresh, valid checksum. */
static void rewrite(const char *path, size_t off, unsigned char value)
{
	char *data = NULL;
	size_t len = 0;
	bg_read_file(path, 1 << 20, &data, &len, NULL);
	data[off] = (char)value;
	char sum[BG_DIGEST_STRING_MAX];
	bg_digest_buffer(BG_DIGEST_SHA256, data, len - 71, sum, NULL);
	memcpy(data + len - 71, sum, 71);
	FILE *fp = fopen(path, "wb");
	fwrite(data, 1, len, fp);
	fclose(fp);
	free(data);
}

int main(void)
{
	char *tmp = fx_tmpdir();
	char *dir = fx_printf("%s/cache", tmp);
	bg_error err = {0};
	bg_layer_scan *s = sample(), *got = NULL;

	ok(bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && !got, "an empty cache is a miss");
	ok(bg_scancache_store(dir, PATHS, s, &err) == 0, "store (%s)", err.message);
	struct stat st;
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "the cache directory is private (0700)");
	ok(bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && got, "load finds it");
	if (got) {
		ok(got->from_cache && got->n_entries == 3 && strcmp(got->diff_id, DIFF) == 0 &&
			   got->bytes_in == 123 && got->bytes_out == 456 && got->tar_entries == 789,
		   "the layer's numbers come back");
		const bg_layer_entry *e = &got->entries[0];
		ok(strcmp(e->path, "etc/audit/audit.rules") == 0 && e->type == BG_ENTRY_FILE &&
			   e->mode == 0640 && e->gid == 4 && e->len == 4 && memcmp(e->data, "-D\n\0", 4) == 0 &&
			   e->seq == 7,
		   "a file entry comes back byte for byte (NUL included)");
		ok(got->entries[1].type == BG_ENTRY_SYMLINK && strcmp(got->entries[1].link, "audit.rules") == 0 &&
			   !got->entries[1].data,
		   "a symlink entry comes back");
		ok(got->entries[2].too_large && got->entries[2].was_hardlink && !got->entries[2].data &&
			   got->entries[2].size == 5u << 20,
		   "flags come back");
		bg_layer_scan_free(got);
		got = NULL;
	}
	ok(bg_scancache_load(dir, LAYER, DIFF, &got, &err) == 0 && !got, "another path set is a miss");
	ok(bg_scancache_load(dir, "sha256:../../etc", PATHS, &got, &err) == 0 && !got,
	   "an invalid digest is a miss, never a path");

	char *file = file_of(dir);
	char *data = NULL;
	size_t len = 0;
	bg_read_file(file, 1 << 20, &data, &len, NULL);
	/* One flipped byte anywhere: the checksum catches it. */
	int caught = 0;
	for (size_t off = 0; off < len; off += 7) {
		data[off] ^= 1;
		FILE *fp = fopen(file, "wb");
		fwrite(data, 1, len, fp);
		fclose(fp);
		data[off] ^= 1;
		got = NULL;
		if (bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && !got)
			caught++;
		bg_layer_scan_free(got);
	}
	is_int(caught, (int)((len + 6) / 7), "every flipped byte makes the file a miss");
	/* Truncated. */
	FILE *fp = fopen(file, "wb");
	fwrite(data, 1, len / 2, fp);
	fclose(fp);
	got = NULL;
	ok(bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && !got, "a truncated file is a miss");
	/* Another version with a valid checksum. */
	fp = fopen(file, "wb");
	fwrite(data, 1, len, fp);
	fclose(fp);
	rewrite(file, 7, 99);
	got = NULL;
	ok(bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && !got, "another format version is a miss");
	/* An entry type out of range with a valid checksum. */
	bg_scancache_store(dir, PATHS, s, &err);
	size_t type_off = 7 + 4 + (4 + strlen(LAYER)) * 2 + (4 + strlen(DIFF)) +
			  (4 + strlen(s->media_type)) + 32 + 4 + strlen("etc/audit/audit.rules");
	rewrite(file, type_off, 42);
	got = NULL;
	ok(bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && !got,
	   "a well-checksummed file with a bad entry type is a miss");
	/* Overwrite atomically: a store replaces a bad file. */
	ok(bg_scancache_store(dir, PATHS, s, &err) == 0 && bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 &&
		   got, "a new store replaces a bad file");
	bg_layer_scan_free(got);
	got = NULL;
	/* A directory others can write is not trusted. */
	chmod(dir, 0777);
	ok(bg_scancache_load(dir, LAYER, PATHS, &got, &err) == 0 && !got,
	   "a world-writable cache directory is not read");
	ok(bg_scancache_store(dir, PATHS, s, &err) < 0, "nor written (%s)", err.message);
	chmod(dir, 0700);

	char *out = NULL;
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	ok(bg_scancache_dir(NULL, &out, &err) == 0 && strcmp(out, "/xdg/bootgate") == 0, "XDG_CACHE_HOME");
	free(out);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	ok(bg_scancache_dir(NULL, &out, &err) == 0 && strcmp(out, "/home/u/.cache/bootgate") == 0,
	   "else ~/.cache/bootgate");
	free(out);
	ok(bg_scancache_dir("/given", &out, &err) == 0 && strcmp(out, "/given") == 0, "--cache-dir wins");
	free(out);
	unsetenv("HOME");
	ok(bg_scancache_dir(NULL, &out, &err) == BG_E_USAGE, "no location at all is a usage error");

	free(data);
	free(file);
	bg_layer_scan_free(s);
	fx_rm_rf(tmp);
	free(tmp);
	free(dir);
	return tap_done();
}
