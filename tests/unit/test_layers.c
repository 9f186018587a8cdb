/* Layer scan over generated images (layerfixture.h): OCI semantics end to
 * end, every refusal the scan must make, and a differential check of every
 * file of interest against `umoci raw unpack` when umoci is installed. */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/image.h"
#include "bootgate/imageview.h"
#include "bootgate/layers.h"
#include "bootgate/limits.h"
#include "bootgate/source.h"
#include "lib/util.h"
#include "tests/tap.h"
#include "tests/unit/layerfixture.h"

static char *tmp;
static int image_no;
static bool have_umoci;

typedef struct scan_result {
	int rc;
	bg_error err;
	bg_imageview *view;
	bg_layers_stats st;
	char *image;
	char *dir;
} scan_result;

static void result_free(scan_result *r)
{
	bg_imageview_free(r->view);
	free(r->image);
	free(r->dir);
	memset(r, 0, sizeof *r);
}

static int scan_image(const char *image, const char *const *extra_paths, const bg_layers_options *o,
		      bg_imageview **view, bg_layers_stats *st, bg_error *err)
{
	bg_source *src = NULL;
	bg_image *img = NULL;
	bg_pathset *ps = NULL;
	int rc = bg_source_open(image, NULL, &src, err);
	if (rc == 0)
		rc = bg_image_resolve(src, NULL, &img, err);
	if (rc == 0)
		rc = bg_pathset_new(&ps, err);
	if (rc == 0)
		rc = bg_pathset_add_defaults(ps, err);
	for (size_t i = 0; rc == 0 && extra_paths && extra_paths[i]; i++)
		rc = bg_pathset_add(ps, extra_paths[i], err);
	if (rc == 0)
		rc = bg_layers_scan(src, img, ps, o, view, st, err);
	bg_pathset_free(ps);
	bg_image_free(img);
	bg_source_close(src);
	return rc;
}

/* Writes the layers as an image and scans it with the default paths. */
static scan_result build_and_scan(lf_layer *layers, size_t n, uint64_t max_layer_bytes)
{
	scan_result r = {0};
	r.dir = fx_printf("%s/img%d", tmp, ++image_no);
	r.image = lf_write_image(r.dir, layers, n);
	bg_layers_options o = { .jobs = 2, .no_cache = true, .max_layer_bytes = max_layer_bytes };
	r.rc = scan_image(r.image, NULL, &o, &r.view, &r.st, &r.err);
	return r;
}

static const char *content_of(const bg_imageview *v, const char *path)
{
	const bg_file *f = NULL;
	if (bg_imageview_stat(v, path, &f, NULL) < 0 || f->type != BG_ENTRY_FILE || !f->content)
		return NULL;
	return (const char *)f->content;
}

/* ---- the differential check against umoci ------------------------- */

static const bg_imageview *diff_view;
static const char *diff_root;
static bg_pathset *diff_ps;
static int diff_mismatches;
static char diff_first[600];

static void diff_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diff_note(const char *fmt, ...)
{
	if (!diff_mismatches++) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(diff_first, sizeof diff_first, fmt, ap);
		va_end(ap);
	}
}

static int diff_visit(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	const char *rel = path + strlen(diff_root);
	if (!*rel)
		return 0;
	if (!bg_pathset_match(diff_ps, rel + 1))
		return 0;
	const bg_file *f = bg_imageview_lstat(diff_view, rel);
	if (!f) {
		diff_note("umoci has %s%s, bootgate does not", rel, "");
		return 0;
	}
	if (S_ISREG(sb->st_mode)) {
		if (f->type != BG_ENTRY_FILE) {
			diff_note("%s: umoci has a file, bootgate a %s", rel, bg_entry_type_name(f->type));
			return 0;
		}
		char *data = NULL;
		size_t len = 0;
		FILE *fp = fopen(path, "rb");
		if (fp) {
			data = malloc((size_t)sb->st_size + 1);
			len = fread(data, 1, (size_t)sb->st_size, fp);
			fclose(fp);
		}
		if (f->too_large ? len <= BG_MAX_FILE_OF_INTEREST
				 : (!f->content || f->content_len != len || memcmp(f->content, data, len)))
			diff_note("%s: content differs%s", rel, "");
		free(data);
	} else if (S_ISLNK(sb->st_mode)) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		if (f->type != BG_ENTRY_SYMLINK || strcmp(f->link_target, target) != 0)
			diff_note("%s: symlink differs (umoci -> %s)", rel, target);
	} else if (S_ISDIR(sb->st_mode)) {
		if (f->type != BG_ENTRY_DIR)
			diff_note("%s: umoci has a directory, bootgate a %s", rel,
				  bg_entry_type_name(f->type));
	}
	return 0;
}

/* Every file of interest umoci unpacks is in the view with the same content,
 * and every non-implicit file of interest in the view exists in umoci's
 * tree. */
static void differential(const scan_result *r, const char *name)
{
	if (!have_umoci) {
		ok(true, "# SKIP umoci not installed: differential check %s", name);
		return;
	}
	char *rootfs = fx_printf("%s.rootfs", r->dir);
	char *cmd = fx_printf("umoci raw unpack --rootless --image '%s:latest' '%s' >'%s.log' 2>&1",
			      r->dir, rootfs, rootfs);
	int st = system(cmd);
	free(cmd);
	if (st != 0) {
		char *log = fx_printf("%s.log", rootfs), *text = NULL;
		size_t len = 0;
		bg_read_file(log, 4096, &text, &len, NULL);
		ok(0, "differential %s: umoci raw unpack failed: %s", name, text ? text : "");
		free(text);
		free(log);
		free(rootfs);
		return;
	}
	bg_error err = {0};
	bg_pathset_new(&diff_ps, &err);
	bg_pathset_add_defaults(diff_ps, &err);
	diff_view = r->view;
	diff_root = rootfs;
	diff_mismatches = 0;
	diff_first[0] = '\0';
	nftw(rootfs, diff_visit, 16, FTW_PHYS);
	/* The other direction: what bootgate shows must exist in umoci's tree. */
	const bg_file **all = NULL;
	size_t n = 0;
	bg_imageview_walk(r->view, "/", &all, &n, &err);
	for (size_t i = 0; i < n; i++) {
		if (all[i]->implicit || !bg_pathset_match(diff_ps, all[i]->path + 1))
			continue;
		char *p = fx_printf("%s%s", rootfs, all[i]->path);
		struct stat sb;
		if (lstat(p, &sb) < 0)
			diff_note("bootgate has %s%s, umoci does not", all[i]->path, "");
		free(p);
	}
	free(all);
	ok(diff_mismatches == 0, "differential %s: every file of interest equals umoci's (%d mismatches%s%s)",
	   name, diff_mismatches, diff_mismatches ? ": " : "", diff_first);
	bg_pathset_free(diff_ps);
	diff_ps = NULL;
	fx_rm_rf(rootfs);
	free(rootfs);
}

/* ---- cases --------------------------------------------------------- */

static void test_basic(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_GZIP);
	lf_dir(&l[0], "etc/");
	lf_dir(&l[0], "etc/audit/");
	lf_dir(&l[0], "etc/audit/rules.d/");
	lf_file(&l[0], "etc/audit/rules.d/10-base.rules", "-D\n-b 8192\n");
	lf_file(&l[0], "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	lf_file(&l[0], "usr/bin/tool", "binary");
	lf_file(&l[0], "usr/lib/systemd/system/auditd.service", "[Unit]\n");
	lf_file(&l[0], "usr/lib/systemd/system/other.service", "[Unit]\n");
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc == 0, "basic gzip image scans (%s)", r.err.message);
	if (r.rc == 0) {
		is_str(content_of(r.view, "/etc/audit/rules.d/10-base.rules"), "-D\n-b 8192\n",
		       "a rules file is kept with its content");
		is_str(content_of(r.view, "etc/audit/rules.d/10-base.rules"), "-D\n-b 8192\n",
		       "lookups accept relative paths");
		ok(content_of(r.view, "/usr/lib/systemd/system/auditd.service") != NULL,
		   "auditd.service is kept");
		ok(bg_imageview_lstat(r.view, "/etc/passwd") == NULL, "a path not of interest is not kept");
		ok(bg_imageview_lstat(r.view, "/usr/lib/systemd/system/other.service") == NULL,
		   "another unit under /usr/lib/systemd/system is not kept");
		ok(bg_imageview_is_dir(r.view, "/etc/audit"), "/etc/audit is a directory");
		const bg_file *f = bg_imageview_lstat(r.view, "/etc/audit/rules.d/10-base.rules");
		ok(f && f->mode == 0644 && f->uid == 0 && f->layer == 0 && f->layer_digest &&
			   strncmp(f->layer_digest, "sha256:", 7) == 0,
		   "mode, owner and layer are recorded");
		is_int(r.st.layers, 1, "stats: one layer");
		is_int(r.st.scanned, 1, "stats: one layer scanned");
		ok(r.st.bytes_out > r.st.bytes_in && r.st.bytes_in > 0, "stats: bytes in and out counted");
	}
	differential(&r, "basic");
	result_free(&r);
}

static void test_whiteouts(void)
{
	lf_layer l[3];
	lf_layer_init(&l[0], LF_GZIP);
	lf_file(&l[0], "etc/audit/rules.d/a.rules", "-w /a\n");
	lf_file(&l[0], "etc/audit/rules.d/b.rules", "-w /b\n");
	lf_file(&l[0], "etc/audit/rules.d/c.rules", "-w /c-lower\n");
	lf_file(&l[0], "etc/audit/auditd.conf", "log_file = x\n");
	lf_file(&l[0], "etc/audit/plugins.d/af_unix.conf", "active = no\n");
	lf_layer_init(&l[1], LF_GZIP);
	lf_file(&l[1], "etc/audit/rules.d/.wh.a.rules", "");
	/* Same-layer: the new c.rules precedes the whiteout, and survives. */
	lf_file(&l[1], "etc/audit/rules.d/c.rules", "-w /c-upper\n");
	lf_file(&l[1], "etc/audit/rules.d/.wh.c.rules", "");
	/* A whole directory whited out. */
	lf_file(&l[1], "etc/audit/.wh.plugins.d", "");
	lf_layer_init(&l[2], LF_GZIP);
	/* Opaque after the directory's new entry in the tar: still applied first. */
	lf_file(&l[2], "etc/audit/rules.d/new.rules", "-w /new\n");
	lf_file(&l[2], "etc/audit/rules.d/.wh..wh..opq", "");
	scan_result r = build_and_scan(l, 3, 0);
	ok(r.rc == 0, "whiteout image scans (%s)", r.err.message);
	if (r.rc == 0) {
		ok(bg_imageview_lstat(r.view, "/etc/audit/rules.d/a.rules") == NULL,
		   ".wh.a.rules deletes a.rules");
		ok(bg_imageview_lstat(r.view, "/etc/audit/plugins.d") == NULL &&
			   bg_imageview_lstat(r.view, "/etc/audit/plugins.d/af_unix.conf") == NULL,
		   ".wh.<dir> deletes the directory and its subtree");
		is_str(content_of(r.view, "/etc/audit/auditd.conf"), "log_file = x\n",
		       "a sibling outside the whited-out paths stays");
		is_str(content_of(r.view, "/etc/audit/rules.d/new.rules"), "-w /new\n",
		       "the opaque directory keeps its own layer's entry written before the marker");
		ok(bg_imageview_lstat(r.view, "/etc/audit/rules.d/b.rules") == NULL &&
			   bg_imageview_lstat(r.view, "/etc/audit/rules.d/c.rules") == NULL,
		   "the opaque marker hides every lower child");
		ok(bg_imageview_lstat(r.view, "/etc/audit/rules.d/.wh..wh..opq") == NULL &&
			   bg_imageview_lstat(r.view, "/etc/audit/rules.d/.wh.a.rules") == NULL,
		   "whiteout entries are never visible");
	}
	differential(&r, "whiteouts");
	result_free(&r);

	/* Same-layer rule on its own. */
	lf_layer m[2];
	lf_layer_init(&m[0], LF_NONE);
	lf_file(&m[0], "etc/audit/x.rules", "lower\n");
	lf_layer_init(&m[1], LF_NONE);
	lf_file(&m[1], "etc/audit/x.rules", "upper\n");
	lf_file(&m[1], "etc/audit/.wh.x.rules", "");
	r = build_and_scan(m, 2, 0);
	is_str(r.rc == 0 ? content_of(r.view, "/etc/audit/x.rules") : r.err.message, "upper\n",
	       "a whiteout does not delete its own layer's entry");
	differential(&r, "same-layer whiteout");
	result_free(&r);
}

static void test_hardlinks(void)
{
	lf_layer l[2];
	lf_layer_init(&l[0], LF_GZIP);
	lf_file(&l[0], "etc/audit/orig.rules", "-w /orig\n");
	lf_hardlink(&l[0], "etc/audit/link.rules", "etc/audit/orig.rules");
	/* A chain: link2 -> link -> orig (buildah >= 1.41 writes these). */
	lf_hardlink(&l[0], "etc/audit/link2.rules", "etc/audit/link.rules");
	/* Target not of interest, far back in the same layer. */
	lf_file(&l[0], "usr/share/audit/sample.rules", "-w /sample\n");
	for (int i = 0; i < 8; i++) {
		char name[64];
		snprintf(name, sizeof name, "usr/share/doc/f%d", i);
		lf_file(&l[0], name, "filler");
	}
	lf_hardlink(&l[0], "etc/audit/rules.d/sample.rules", "usr/share/audit/sample.rules");
	lf_file(&l[0], "usr/share/audit/lower.rules", "-w /lower\n");
	lf_layer_init(&l[1], LF_GZIP);
	/* Cross-layer: the target is in the layer below, not of interest. */
	lf_hardlink(&l[1], "etc/audit/rules.d/lower.rules", "usr/share/audit/lower.rules");
	/* Cross-layer, target of interest. */
	lf_hardlink(&l[1], "etc/audit/again.rules", "etc/audit/orig.rules");
	scan_result r = build_and_scan(l, 2, 0);
	ok(r.rc == 0, "hardlink image scans (%s)", r.err.message);
	if (r.rc == 0) {
		is_str(content_of(r.view, "/etc/audit/link.rules"), "-w /orig\n",
		       "a hardlink to an earlier entry takes its content");
		is_str(content_of(r.view, "/etc/audit/link2.rules"), "-w /orig\n",
		       "a hardlink chain is followed");
		is_str(content_of(r.view, "/etc/audit/rules.d/sample.rules"), "-w /sample\n",
		       "a hardlink to a far earlier entry not of interest (second pass)");
		is_str(content_of(r.view, "/etc/audit/rules.d/lower.rules"), "-w /lower\n",
		       "a hardlink to a lower layer's entry not of interest");
		is_str(content_of(r.view, "/etc/audit/again.rules"), "-w /orig\n",
		       "a hardlink to a lower layer's entry of interest");
		const bg_file *f = bg_imageview_lstat(r.view, "/etc/audit/link.rules");
		ok(f && f->was_hardlink, "the view says it was a hardlink");
	}
	differential(&r, "hardlinks");
	result_free(&r);
}

/* rpm-ostree chunked layout: objects first, visible paths as hardlinks. */
static void test_ostree(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_GZIP);
	lf_dir(&l[0], "sysroot/ostree/repo/objects/ab/");
	lf_file(&l[0], "sysroot/ostree/repo/objects/ab/cdef01.file", "-a always,exit -F arch=b64 -S execve\n");
	lf_hardlink(&l[0], "etc/audit/rules.d/50-exec.rules", "sysroot/ostree/repo/objects/ab/cdef01.file");
	lf_hardlink(&l[0], "usr/share/audit-rules/50-exec.rules", "sysroot/ostree/repo/objects/ab/cdef01.file");
	/* A symlink object: the visible path is a hardlink to it = a symlink. */
	lf_symlink(&l[0], "sysroot/ostree/repo/objects/12/3456.file", "/usr/lib/systemd/system/auditd.service");
	lf_hardlink(&l[0], "etc/systemd/system/multi-user.target.wants/auditd.service",
		    "sysroot/ostree/repo/objects/12/3456.file");
	lf_file(&l[0], "sysroot/ostree/repo/objects/77/aaaa.file", "[Unit]\nDescription=audit\n");
	lf_hardlink(&l[0], "usr/lib/systemd/system/auditd.service", "sysroot/ostree/repo/objects/77/aaaa.file");
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc == 0, "ostree-style image scans (%s)", r.err.message);
	if (r.rc == 0) {
		is_str(content_of(r.view, "/etc/audit/rules.d/50-exec.rules"),
		       "-a always,exit -F arch=b64 -S execve\n", "etc/... hardlinked to an ostree object has its content");
		const bg_file *f = bg_imageview_lstat(r.view, "/etc/systemd/system/multi-user.target.wants/auditd.service");
		ok(f && f->type == BG_ENTRY_SYMLINK &&
			   strcmp(f->link_target, "/usr/lib/systemd/system/auditd.service") == 0,
		   "a hardlink to a symlink object is a symlink");
		is_str(content_of(r.view, "/etc/systemd/system/multi-user.target.wants/auditd.service"),
		       "[Unit]\nDescription=audit\n", "and it resolves to the unit");
		ok(bg_imageview_lstat(r.view, "/sysroot/ostree/repo/objects/ab/cdef01.file") == NULL,
		   "the object itself is not in the view");
	}
	differential(&r, "ostree");
	result_free(&r);
}

static void test_symlinks(void)
{
	lf_layer l[2];
	lf_layer_init(&l[0], LF_GZIP);
	lf_file(&l[0], "usr/share/audit-rules/30-stig.rules", "-e 2\n");
	lf_symlink(&l[0], "etc/audit/rules.d/30-stig.rules", "/usr/share/audit-rules/30-stig.rules");
	lf_symlink(&l[0], "etc/audit/loop1", "loop2");
	lf_symlink(&l[0], "etc/audit/loop2", "loop1");
	lf_file(&l[0], "etc/audit/audit.rules", "-D\n");
	lf_symlink(&l[0], "etc/audit/escape", "../../../../../../etc/audit/audit.rules");
	lf_symlink(&l[0], "etc/audit/abs", "/etc/audit/audit.rules");
	lf_layer_init(&l[1], LF_NONE);
	/* A directory of interest turned into a symlink: what lands below it
	 * lands at the target (as umoci/securejoin and the kernel do). */
	lf_symlink(&l[1], "etc/audit/plugins.d", "/usr/share/audit-plugins");
	lf_file(&l[1], "etc/audit/plugins.d/syslog.conf", "active = yes\n");
	scan_result r = build_and_scan(l, 2, 0);
	ok(r.rc == 0, "symlink image (gzip + plain tar) scans (%s)", r.err.message);
	if (r.rc == 0) {
		is_str(content_of(r.view, "/etc/audit/rules.d/30-stig.rules"), "-e 2\n",
		       "a symlink of interest to a file elsewhere resolves to its content");
		ok(r.st.rounds >= 2, "the symlink widened the paths of interest (%u rounds)", r.st.rounds);
		const bg_file *f = NULL;
		bg_error err = {0};
		ok(bg_imageview_stat(r.view, "/etc/audit/loop1", &f, &err) < 0 && strstr(err.message, "loop"),
		   "a symlink loop fails with a loop error (%s)", err.message);
		is_str(content_of(r.view, "/etc/audit/escape"), "-D\n",
		       "a relative symlink cannot climb above the root");
		is_str(content_of(r.view, "/etc/audit/abs"), "-D\n",
		       "an absolute symlink resolves inside the image");
		is_str(content_of(r.view, "/etc/audit/plugins.d/syslog.conf"), "active = yes\n",
		       "a file below a symlinked directory is found through it");
		is_str(content_of(r.view, "/usr/share/audit-plugins/syslog.conf"), "active = yes\n",
		       "and it is stored at the symlink's target");
		char *res = NULL;
		ok(bg_imageview_resolve(r.view, "/etc/audit/plugins.d/../audit.rules", &res, &err) == 0 &&
			   strcmp(res, "/usr/share/audit.rules") == 0,
		   "\"..\" after a symlink is taken from its target (%s)", res ? res : "");
		free(res);
	}
	differential(&r, "symlinks");
	result_free(&r);
}

/* umoci 0.4.7 cannot read zstd layers: the same layers written as zstd
 * must give the view the gzip image gives (itself checked against umoci). */
static void fill_mixed(lf_layer *l, int c0, int c1)
{
	lf_layer_init(&l[0], c0);
	lf_file(&l[0], "etc/audit/rules.d/10.rules", "-b 8192\n");
	lf_file(&l[0], "etc/audit/rules.d/20.rules", "-w /etc/shadow -p wa\n");
	lf_symlink(&l[0], "etc/audit/rules.d/30.rules", "20.rules");
	lf_layer_init(&l[1], c1);
	lf_file(&l[1], "etc/audit/rules.d/.wh.20.rules", "");
	lf_file(&l[1], "etc/audit/rules.d/40.rules", "-e 2\n");
}

static bool views_equal(const bg_imageview *a, const bg_imageview *b)
{
	const bg_file **la = NULL, **lb = NULL;
	size_t na = 0, nb = 0;
	bg_imageview_walk(a, "/", &la, &na, NULL);
	bg_imageview_walk(b, "/", &lb, &nb, NULL);
	bool same = na == nb;
	for (size_t i = 0; same && i < na; i++) {
		same = strcmp(la[i]->path, lb[i]->path) == 0 && la[i]->type == lb[i]->type &&
		       la[i]->content_len == lb[i]->content_len &&
		       (!la[i]->content || memcmp(la[i]->content, lb[i]->content, la[i]->content_len) == 0) &&
		       (!la[i]->link_target || strcmp(la[i]->link_target, lb[i]->link_target) == 0);
	}
	free(la);
	free(lb);
	return same;
}

static void test_zstd_and_plain(void)
{
	lf_layer g[2], z[2];
	fill_mixed(g, LF_GZIP, LF_GZIP);
	fill_mixed(z, LF_ZSTD, LF_NONE);
	scan_result rg = build_and_scan(g, 2, 0);
	scan_result rz = build_and_scan(z, 2, 0);
	ok(rz.rc == 0, "zstd + uncompressed image scans (%s)", rz.err.message);
	differential(&rg, "gzip twin of the zstd image");
	ok(rg.rc == 0 && rz.rc == 0 && views_equal(rg.view, rz.view),
	   "the zstd/plain image gives the same view as its gzip twin");
	ok(rz.rc == 0 && content_of(rz.view, "/etc/audit/rules.d/30.rules") == NULL &&
		   content_of(rz.view, "/etc/audit/rules.d/40.rules"),
	   "a symlink to a whited-out file dangles; the new file is there");
	result_free(&rg);
	result_free(&rz);
}

/* Enablement links and masks are kept but do not cost another scan. */
static void test_no_widening_for_units(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_GZIP);
	lf_file(&l[0], "usr/lib/systemd/system/foo.service", "[Unit]\n");
	lf_symlink(&l[0], "etc/systemd/system/multi-user.target.wants/foo.service",
		   "/usr/lib/systemd/system/foo.service");
	lf_symlink(&l[0], "etc/systemd/system/bar.service", "/dev/null");
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc == 0 && r.st.rounds == 1, "unit enablement links and masks take one round (%u)", r.st.rounds);
	const bg_file *f = r.rc == 0 ? bg_imageview_lstat(r.view, "/etc/systemd/system/bar.service") : NULL;
	ok(f && f->type == BG_ENTRY_SYMLINK && strcmp(f->link_target, "/dev/null") == 0,
	   "a mask is visible as a symlink to /dev/null");
	differential(&r, "unit links");
	result_free(&r);
}

static void test_duplicates_and_names(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_NONE);
	lf_file(&l[0], "etc/audit/d.rules", "first\n");
	lf_file(&l[0], "./etc/audit/d.rules", "second\n");
	lf_file(&l[0], "etc//audit/d.rules", "third\n");
	lf_dir(&l[0], "./etc/audit/rules.d/");
	lf_file(&l[0], "/etc/audit/rules.d/abs.rules", "abs\n");
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc == 0, "uncompressed layer with duplicate names scans (%s)", r.err.message);
	if (r.rc == 0) {
		is_str(content_of(r.view, "/etc/audit/d.rules"), "third\n",
		       "./x, x//y: one path, the last entry wins");
		ok(bg_imageview_is_dir(r.view, "/etc/audit/rules.d/"), "a trailing / names the directory");
		is_str(content_of(r.view, "/etc/audit/rules.d/abs.rules"), "abs\n",
		       "a leading / is stripped");
	}
	differential(&r, "duplicates");
	result_free(&r);
}

static void test_large_file(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_GZIP);
	size_t big = BG_MAX_FILE_OF_INTEREST + 10;
	char *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (i % 64 == 63) ? '\n' : 'a';
	lf_entry(&l[0], LF_FILE, "etc/audit/rules.d/huge.rules", data, big, NULL, 0644);
	free(data);
	lf_file(&l[0], "etc/audit/rules.d/small.rules", "-w /x\n");
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc == 0, "an image with a >1 MiB rules file scans (%s)", r.err.message);
	if (r.rc == 0) {
		const bg_file *f = bg_imageview_lstat(r.view, "/etc/audit/rules.d/huge.rules");
		ok(f && f->too_large && !f->content && f->size == big,
		   "the large file is flagged too large, without content, with its size");
		is_str(content_of(r.view, "/etc/audit/rules.d/small.rules"), "-w /x\n",
		       "the small file next to it is kept");
	}
	differential(&r, "large file");
	result_free(&r);
}

/* Every case the scan must refuse, with the reason in the message. */
static void test_refusals(void)
{
	struct {
		const char *name;
		int compression;
		bool no_end, wrong_diff;
		const char *garbage, *media_type, *entry, *expect;
		uint64_t cap;
	} cases[] = {
		{ "wrong diff_id", LF_GZIP, false, true, NULL, NULL, NULL, "diff_id", 0 },
		{ "trailing garbage after gzip", LF_GZIP, false, false, "GARBAGE!", NULL, NULL, "trailing", 0 },
		{ "trailing garbage after zstd", LF_ZSTD, false, false, "GARBAGE!", NULL, NULL, "zstd", 0 },
		{ "gzip data, tar media type", LF_GZIP, false, false, NULL,
		  "application/vnd.oci.image.layer.v1.tar", NULL, "media type says", 0 },
		{ "plain tar, gzip media type", LF_NONE, false, false, NULL,
		  "application/vnd.oci.image.layer.v1.tar+gzip", NULL, "media type says", 0 },
		{ "unknown media type", LF_NONE, false, false, NULL, "application/octet-stream", NULL,
		  "not a tar layer", 0 },
		{ "path traversal name", LF_GZIP, false, false, NULL, NULL, "../../etc/audit/evil.rules", "..", 0 },
		{ "traversal inside the root", LF_GZIP, false, false, NULL, NULL, "etc/../etc/audit/x.rules", "..", 0 },
		{ "symlink named .", LF_GZIP, false, false, NULL, NULL, "SYMLINK-DOT", "root", 0 },
		{ "gzip bomb over the cap", LF_GZIP, false, false, NULL, NULL, "BOMB", "bomb", 4 * BG_MiB },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lf_layer l[1];
		lf_layer_init(&l[0], cases[i].compression);
		lf_file(&l[0], "etc/audit/audit.rules", "-D\n");
		if (cases[i].entry && strcmp(cases[i].entry, "BOMB") == 0) {
			size_t n = 8 * BG_MiB;
			char *zeros = calloc(1, n);
			lf_entry(&l[0], LF_FILE, "usr/share/zeros", zeros, n, NULL, 0644);
			free(zeros);
		} else if (cases[i].entry && strcmp(cases[i].entry, "SYMLINK-DOT") == 0) {
			lf_symlink(&l[0], ".", "/etc");
		} else if (cases[i].entry) {
			lf_file(&l[0], cases[i].entry, "evil\n");
		}
		l[0].no_end_marker = cases[i].no_end;
		l[0].wrong_diff_id = cases[i].wrong_diff;
		l[0].garbage = cases[i].garbage;
		l[0].media_type = cases[i].media_type;
		scan_result r = build_and_scan(l, 1, cases[i].cap);
		ok(r.rc < 0 && strstr(r.err.message, cases[i].expect),
		   "refused: %s (rc %d: %s)", cases[i].name, r.rc, r.err.message);
		result_free(&r);
	}
}

/* A layer without the tar end-of-archive blocks (as umoci 0.4.7 writes) is
 * read like Go's archive/tar reads it: its digest and diff_id still hold. */
static void test_no_end_marker(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_GZIP);
	lf_file(&l[0], "etc/audit/audit.rules", "-D\n");
	lf_file(&l[0], "etc/audit/rules.d/10.rules", "-w /etc/sudoers -p wa\n");
	l[0].no_end_marker = true;
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc == 0, "a tar cut at an entry boundary, digests intact, is scanned (%s)", r.err.message);
	if (r.rc == 0)
		is_str(content_of(r.view, "/etc/audit/rules.d/10.rules"), "-w /etc/sudoers -p wa\n",
		       "its last entry is kept");
	result_free(&r);
}

/* The real ratio bomb: 256 MiB of zeros is refused without the cap. */
static void test_ratio_bomb(void)
{
	lf_layer l[1];
	lf_layer_init(&l[0], LF_ZSTD);
	size_t n = 256 * BG_MiB;
	char *zeros = calloc(1, n);
	lf_entry(&l[0], LF_FILE, "usr/share/zeros", zeros, n, NULL, 0644);
	free(zeros);
	scan_result r = build_and_scan(l, 1, 0);
	ok(r.rc < 0 && strstr(r.err.message, "bomb"), "a zstd ratio bomb is refused (%s)", r.err.message);
	result_free(&r);
}

static void test_multi_member_gzip(void)
{
	/* Two gzip members, the tar split between them: one stream. */
	lf_layer l;
	lf_layer_init(&l, LF_NONE);
	lf_file(&l, "etc/audit/one.rules", "one\n");
	lf_file(&l, "etc/audit/two.rules", "two\n");
	archive_write_close(l.a);
	archive_write_free(l.a);
	char diff_id[BG_DIGEST_STRING_MAX];
	fx_digest(l.tar.p, l.tar.len, diff_id);
	lf_buf a = { 0 }, b = { 0 }, blob = { 0 };
	lf_buf_add(&a, l.tar.p, 1024);
	lf_buf_add(&b, l.tar.p + 1024, l.tar.len - 1024);
	lf_compress(&a, LF_GZIP, &blob);
	lf_compress(&b, LF_GZIP, &blob);
	fx f = {0};
	fx_layout_file(&f);
	char ld[BG_DIGEST_STRING_MAX], cd[BG_DIGEST_STRING_MAX], md[BG_DIGEST_STRING_MAX];
	fx_blob(&f, (const char *)blob.p, blob.len, ld);
	char *config = fx_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
				 "\"layers\",\"diff_ids\":[\"%s\"]}}", diff_id);
	fx_blob(&f, config, strlen(config), cd);
	char *manifest = fx_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
				   "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
				   "\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
				   BG_MEDIA_OCI_MANIFEST, BG_MEDIA_OCI_CONFIG, cd, strlen(config),
				   lf_media_type(LF_GZIP), ld, blob.len);
	fx_blob(&f, manifest, strlen(manifest), md);
	fx_entry e = { BG_MEDIA_OCI_MANIFEST, md, strlen(manifest), "latest", NULL };
	fx_index(&f, &e, 1);
	char *dir = fx_printf("%s/multi", tmp);
	fx_write_dir(&f, dir);
	char *image = fx_printf("oci:%s:latest", dir);
	bg_imageview *v = NULL;
	bg_error err = {0};
	bg_layers_options o = { .jobs = 1, .no_cache = true };
	int rc = scan_image(image, NULL, &o, &v, NULL, &err);
	ok(rc == 0 && content_of(v, "/etc/audit/two.rules") &&
		   strcmp(content_of(v, "/etc/audit/two.rules"), "two\n") == 0,
	   "a multi-member gzip layer is read across members (%s)", err.message);
	bg_imageview_free(v);
	free(image);
	free(dir);
	free(config);
	free(manifest);
	fx_free(&f);
	free(a.p);
	free(b.p);
	free(blob.p);
	free(l.tar.p);
}

static void test_cache(void)
{
	lf_layer l[2];
	lf_layer_init(&l[0], LF_GZIP);
	lf_file(&l[0], "etc/audit/rules.d/a.rules", "-w /a\n");
	lf_layer_init(&l[1], LF_GZIP);
	lf_file(&l[1], "etc/audit/rules.d/b.rules", "-w /b\n");
	char *dir = fx_printf("%s/cacheimg", tmp);
	char *image = lf_write_image(dir, l, 2);
	char *cache = fx_printf("%s/cache", tmp);
	bg_layers_options o = { .jobs = 2, .cache_dir = cache };
	bg_imageview *v1 = NULL, *v2 = NULL, *v3 = NULL;
	bg_layers_stats s1, s2, s3;
	bg_error err = {0};
	int rc1 = scan_image(image, NULL, &o, &v1, &s1, &err);
	int rc2 = scan_image(image, NULL, &o, &v2, &s2, &err);
	ok(rc1 == 0 && s1.scanned == 2 && s1.from_cache == 0, "cold scan reads both layers");
	ok(rc2 == 0 && s2.scanned == 0 && s2.from_cache == 2 && s2.bytes_in == 0,
	   "warm scan answers both layers from the cache");
	ok(rc2 == 0 && content_of(v2, "/etc/audit/rules.d/b.rules") &&
		   strcmp(content_of(v2, "/etc/audit/rules.d/b.rules"), "-w /b\n") == 0,
	   "the cached view has the same content");
	/* Another path set is another key. */
	const char *extra[] = { "/etc/ssh/**", NULL };
	int rc3 = scan_image(image, extra, &o, &v3, &s3, &err);
	ok(rc3 == 0 && s3.from_cache == 0 && s3.scanned == 2, "a different path set misses the cache");
	bg_imageview_free(v1);
	bg_imageview_free(v2);
	bg_imageview_free(v3);
	/* --no-cache reads and writes nothing. */
	bg_layers_options nc = { .jobs = 1, .cache_dir = cache, .no_cache = true };
	bg_imageview *v4 = NULL;
	bg_layers_stats s4;
	int rc4 = scan_image(image, NULL, &nc, &v4, &s4, &err);
	ok(rc4 == 0 && s4.from_cache == 0 && s4.scanned == 2, "no_cache scans everything");
	bg_imageview_free(v4);
	free(dir);
	free(image);
	free(cache);
}

int main(void)
{
	tmp = fx_tmpdir();
	have_umoci = system("command -v umoci >/dev/null 2>&1") == 0;
	test_basic();
	test_whiteouts();
	test_hardlinks();
	test_ostree();
	test_symlinks();
	test_zstd_and_plain();
	test_no_widening_for_units();
	test_duplicates_and_names();
	test_large_file();
	test_refusals();
	test_no_end_marker();
	test_ratio_bomb();
	test_multi_member_gzip();
	test_cache();
	fx_rm_rf(tmp);
	free(tmp);
	return tap_done();
}
