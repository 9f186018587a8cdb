/* Test fixtures for test_source and test_image: small OCI layouts,
 * oci-archives and docker-archives written by the tests themselves (with
 * libarchive's writer) into a temporary directory that is removed at the
 * end.  Nothing generated is kept in git.
 *
 * A fixture is a list of files (name → bytes, or a link) that can be written
 * as a directory or as a tar (optionally gzip-compressed, optionally with a
 * "./" prefix on every name), so the same image is checked through every
 * transport. */
#ifndef BOOTGATE_TEST_IMGFIXTURE_H
#define BOOTGATE_TEST_IMGFIXTURE_H

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/digest.h"
#include "bootgate/manifest.h"

enum { FX_FILE, FX_SYMLINK, FX_HARDLINK };

typedef struct fx_file {
	char *name;
	char *data;
	size_t len;
	int kind;
	char *link;
} fx_file;

typedef struct fx {
	fx_file files[64];
	size_t n;
} fx;

/* One single-platform image's blobs. */
typedef struct fx_img {
	char manifest_digest[BG_DIGEST_STRING_MAX];
	size_t manifest_size;
	char *manifest;
	char config_digest[BG_DIGEST_STRING_MAX];
	size_t config_size;
	char *config;
	char layer_digest[BG_DIGEST_STRING_MAX];
	size_t layer_size;
	char *layer;
} fx_img;

static inline char *fx_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *fx_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static inline void fx_digest(const void *data, size_t len, char out[BG_DIGEST_STRING_MAX])
{
	if (bg_digest_buffer(BG_DIGEST_SHA256, data, len, out, NULL) < 0)
		abort();
}

static inline fx_file *fx_find(fx *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->files[i].name, name) == 0)
			return &f->files[i];
	return NULL;
}

/* Adds (or replaces) a regular file. */
static inline void fx_add(fx *f, const char *name, const void *data, size_t len)
{
	fx_file *e = fx_find(f, name);
	if (!e) {
		if (f->n == sizeof f->files / sizeof f->files[0])
			abort();
		e = &f->files[f->n++];
		e->name = strdup(name);
	} else {
		free(e->data);
		free(e->link);
	}
	e->data = malloc(len + 1);
	memcpy(e->data, data, len);
	e->data[len] = '\0';
	e->len = len;
	e->kind = FX_FILE;
	e->link = NULL;
}

static inline void fx_add_str(fx *f, const char *name, const char *text)
{
	fx_add(f, name, text, strlen(text));
}

static inline void fx_add_link(fx *f, const char *name, int kind, const char *target)
{
	fx_add(f, name, "", 0);
	fx_file *e = fx_find(f, name);
	e->kind = kind;
	e->link = strdup(target);
}

static inline void fx_free(fx *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->files[i].name);
		free(f->files[i].data);
		free(f->files[i].link);
	}
	f->n = 0;
}

/* blobs/sha256/<hex> */
static inline void fx_blob(fx *f, const char *data, size_t len, char digest[BG_DIGEST_STRING_MAX])
{
	fx_digest(data, len, digest);
	char *name = fx_printf("blobs/sha256/%s", digest + 7);
	fx_add(f, name, data, len);
	free(name);
}

static inline void fx_layout_file(fx *f)
{
	fx_add_str(f, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
}

/* An OCI image for os/arch with one layer (arbitrary bytes) and a config
 * whose diff_id is the layer's sha256.  media: manifest media type (OCI or
 * Docker schema2). */
static inline void fx_image(fx *f, const char *arch, const char *layer_text, bool docker,
			    fx_img *out)
{
	memset(out, 0, sizeof *out);
	out->layer = strdup(layer_text);
	out->layer_size = strlen(layer_text);
	fx_blob(f, out->layer, out->layer_size, out->layer_digest);
	out->config = fx_printf(
		"{\"architecture\":\"%s\",\"os\":\"linux\",\"created\":\"2024-05-01T10:00:00Z\","
		"\"config\":{\"Labels\":{\"containers.bootc\":\"1\",\"org.example.arch\":\"%s\"}},"
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
		arch, arch, out->layer_digest);
	out->config_size = strlen(out->config);
	fx_blob(f, out->config, out->config_size, out->config_digest);
	out->manifest = fx_printf(
		"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		"\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
		"\"size\":%zu}]}",
		docker ? BG_MEDIA_DOCKER_MANIFEST : BG_MEDIA_OCI_MANIFEST,
		docker ? BG_MEDIA_DOCKER_CONFIG : BG_MEDIA_OCI_CONFIG, out->config_digest,
		out->config_size,
		docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
		       : "application/vnd.oci.image.layer.v1.tar",
		out->layer_digest, out->layer_size);
	out->manifest_size = strlen(out->manifest);
	fx_blob(f, out->manifest, out->manifest_size, out->manifest_digest);
}

static inline void fx_img_free(fx_img *i)
{
	free(i->manifest);
	free(i->config);
	free(i->layer);
}

/* One index.json (or index blob) entry. */
typedef struct fx_entry {
	const char *media_type;
	const char *digest;
	size_t size;
	const char *name;  /* org.opencontainers.image.ref.name, or NULL */
	const char *arch;  /* platform linux/<arch>, or NULL */
} fx_entry;

static inline char *fx_index_json(const fx_entry *e, size_t n)
{
	char *s = strdup("{\"schemaVersion\":2,\"mediaType\":\"" BG_MEDIA_OCI_INDEX "\",\"manifests\":[");
	for (size_t i = 0; i < n; i++) {
		char *plat = e[i].arch ? fx_printf(",\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}",
						   e[i].arch)
				       : strdup("");
		char *ann = e[i].name ? fx_printf(",\"annotations\":{\"org.opencontainers.image.ref.name\":\"%s\"}",
						  e[i].name)
				      : strdup("");
		char *next = fx_printf("%s%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu%s%s}", s,
				       i ? "," : "", e[i].media_type, e[i].digest, e[i].size, plat, ann);
		free(s);
		free(plat);
		free(ann);
		s = next;
	}
	char *done = fx_printf("%s]}", s);
	free(s);
	return done;
}

static inline void fx_index(fx *f, const fx_entry *e, size_t n)
{
	char *s = fx_index_json(e, n);
	fx_add_str(f, "index.json", s);
	free(s);
}

static inline int fx_mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	return 0;
}

static inline void fx_write_dir(const fx *f, const char *dir)
{
	for (size_t i = 0; i < f->n; i++) {
		const fx_file *e = &f->files[i];
		char *path = fx_printf("%s/%s", dir, e->name);
		fx_mkdirs(path);
		unlink(path);
		if (e->kind == FX_SYMLINK) {
			if (symlink(e->link, path) < 0)
				abort();
		} else if (e->kind == FX_HARDLINK) {
			char *target = fx_printf("%s/%s", dir, e->link);
			if (link(target, path) < 0)
				abort();
			free(target);
		} else {
			FILE *fp = fopen(path, "wb");
			if (!fp || fwrite(e->data, 1, e->len, fp) != e->len || fclose(fp) != 0)
				abort();
		}
		free(path);
	}
}

/* Writes the files as a pax tar, names prefixed with `prefix` ("" or "./"). */
static inline void fx_write_tar(const fx *f, const char *path, const char *prefix, bool gzip)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		abort();
	for (size_t i = 0; i < f->n; i++) {
		const fx_file *e = &f->files[i];
		struct archive_entry *ae = archive_entry_new();
		char *name = fx_printf("%s%s", prefix, e->name);
		archive_entry_set_pathname(ae, name);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_mtime(ae, 1700000000, 0);
		if (e->kind == FX_SYMLINK) {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e->link);
			archive_entry_set_size(ae, 0);
		} else if (e->kind == FX_HARDLINK) {
			char *target = fx_printf("%s%s", prefix, e->link);
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, target);
			archive_entry_set_size(ae, 0);
			free(target);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)e->len);
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK)
			abort();
		if (e->kind == FX_FILE && e->len &&
		    archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len)
			abort();
		archive_entry_free(ae);
		free(name);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
}

static inline char *fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t = fx_printf("%s/bootgate-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t))
		abort();
	return t;
}

static inline int fx_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fx_rm_rf(const char *dir)
{
	nftw(dir, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
