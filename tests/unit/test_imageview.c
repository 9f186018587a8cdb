/* imageview: OCI changeset semantics and lookups on hand-made layer scans
 * (no tar involved: the scan's output is the view's input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/imageview.h"
#include "tests/tap.h"

#define MAXE 16

typedef struct mk {
	bg_layer_scan s;
	bg_layer_entry e[MAXE];
} mk;

static void mk_init(mk *m, const char *digest)
{
	memset(m, 0, sizeof *m);
	m->s.digest = (char *)digest;
	m->s.entries = m->e;
}

static void add(mk *m, bg_entry_type type, const char *path, const char *data_or_link)
{
	bg_layer_entry *e = &m->e[m->s.n_entries];
	e->path = (char *)path;
	e->type = type;
	e->mode = type == BG_ENTRY_DIR ? 0755 : 0644;
	e->seq = (uint32_t)m->s.n_entries++;
	if (type == BG_ENTRY_FILE && data_or_link) {
		e->data = (unsigned char *)data_or_link;
		e->len = strlen(data_or_link);
		e->size = e->len;
	} else if (data_or_link) {
		e->link = (char *)data_or_link;
	}
}

static const char *content(const bg_imageview *v, const char *path)
{
	const bg_file *f = NULL;
	if (bg_imageview_stat(v, path, &f, NULL) < 0 || !f->content)
		return NULL;
	return (const char *)f->content;
}

static void test_replacements(void)
{
	bg_imageview *v = NULL;
	bg_error err = {0};
	bg_imageview_new(&v, &err);
	mk a, b;
	mk_init(&a, "sha256:a");
	add(&a, BG_ENTRY_FILE, "etc/audit/rules.d/x.rules", "x");
	add(&a, BG_ENTRY_FILE, "etc/audit/rules.d/y.rules", "y");
	add(&a, BG_ENTRY_DIR, "etc/audit", NULL);
	ok(bg_imageview_apply(v, 0, &a.s, &err) == 0, "layer 0 applies");
	const bg_file *f = bg_imageview_lstat(v, "/etc");
	ok(f && f->implicit && f->type == BG_ENTRY_DIR && f->layer == -1,
	   "a missing parent is an implicit directory");
	f = bg_imageview_lstat(v, "/etc/audit");
	ok(f && !f->implicit && f->layer == 0, "a directory entry after its children updates it");
	ok(bg_imageview_lstat(v, "/etc/audit/rules.d/x.rules") != NULL,
	   "and does not remove the children (directory over directory)");

	mk_init(&b, "sha256:b");
	add(&b, BG_ENTRY_FILE, "etc/audit/rules.d", "now a file");
	ok(bg_imageview_apply(v, 1, &b.s, &err) == 0, "layer 1 applies");
	f = bg_imageview_lstat(v, "/etc/audit/rules.d");
	ok(f && f->type == BG_ENTRY_FILE && f->layer == 1 && strcmp(f->layer_digest, "sha256:b") == 0,
	   "a file replaces a directory");
	ok(bg_imageview_lstat(v, "/etc/audit/rules.d/x.rules") == NULL,
	   "and the directory's subtree is gone");
	const bg_file *g = NULL;
	ok(bg_imageview_stat(v, "/etc/audit/rules.d/x.rules", &g, &err) < 0 &&
		   strstr(err.message, "not a directory"),
	   "a path through a file fails (%s)", err.message);
	bg_imageview_free(v);
}

static void test_symlink_dir_and_listing(void)
{
	bg_imageview *v = NULL;
	bg_error err = {0};
	bg_imageview_new(&v, &err);
	mk a, b;
	mk_init(&a, "sha256:a");
	add(&a, BG_ENTRY_FILE, "etc/audit/rules.d/b.rules", "b");
	add(&a, BG_ENTRY_FILE, "etc/audit/rules.d/a.rules", "a");
	add(&a, BG_ENTRY_DIR, "etc/audit/rules.d/sub", NULL);
	add(&a, BG_ENTRY_FILE, "etc/audit/rules.d/sub/c.rules", "c");
	add(&a, BG_ENTRY_FILE, "usr/share/rules/z.rules", "z");
	bg_imageview_apply(v, 0, &a.s, &err);
	const bg_file **list = NULL;
	size_t n = 0;
	ok(bg_imageview_list(v, "/etc/audit/rules.d", &list, &n, &err) == 0 && n == 3 &&
		   strcmp(list[0]->path, "/etc/audit/rules.d/a.rules") == 0 &&
		   strcmp(list[1]->path, "/etc/audit/rules.d/b.rules") == 0 &&
		   strcmp(list[2]->path, "/etc/audit/rules.d/sub") == 0,
	   "list gives the direct children, sorted");
	free(list);
	ok(bg_imageview_walk(v, "/etc/audit/rules.d", &list, &n, &err) == 0 && n == 5 &&
		   strcmp(list[0]->path, "/etc/audit/rules.d") == 0 &&
		   strcmp(list[4]->path, "/etc/audit/rules.d/sub/c.rules") == 0,
	   "walk gives the prefix and everything below, sorted (%zu)", n);
	free(list);
	ok(bg_imageview_list(v, "/etc/audit/rules.d/a.rules", &list, &n, &err) < 0,
	   "listing a file fails");

	/* A symlink replaces the directory: rules now come from elsewhere. */
	mk_init(&b, "sha256:b");
	add(&b, BG_ENTRY_SYMLINK, "etc/audit/rules.d", "../../usr/share/rules");
	bg_imageview_apply(v, 1, &b.s, &err);
	ok(bg_imageview_lstat(v, "/etc/audit/rules.d/a.rules") == NULL ||
		   strcmp(bg_imageview_lstat(v, "/etc/audit/rules.d/a.rules")->path,
			  "/usr/share/rules/a.rules") == 0,
	   "a symlink replaces the directory and its old children");
	ok(bg_imageview_list(v, "/etc/audit/rules.d", &list, &n, &err) == 0 && n == 1 &&
		   strcmp(list[0]->path, "/usr/share/rules/z.rules") == 0,
	   "listing follows the symlink to its target");
	free(list);
	ok(bg_imageview_is_dir(v, "/etc/audit/rules.d"), "is_dir follows symlinks");
	const bg_file *l = bg_imageview_lstat(v, "/etc/audit/rules.d");
	ok(l && l->type == BG_ENTRY_SYMLINK, "lstat does not follow the last symlink");
	ok(!bg_imageview_is_dir(v, "/usr/share/rules/z.rules"), "a file is not a directory");
	ok(!bg_imageview_is_dir(v, "/nonexistent"), "a missing path is not a directory");
	bg_imageview_free(v);
}

static void test_resolution(void)
{
	bg_imageview *v = NULL;
	bg_error err = {0};
	bg_imageview_new(&v, &err);
	mk a;
	mk_init(&a, "sha256:a");
	add(&a, BG_ENTRY_FILE, "etc/audit/audit.rules", "-D");
	add(&a, BG_ENTRY_SYMLINK, "etc/audit/up", "../../../../..");
	add(&a, BG_ENTRY_SYMLINK, "etc/audit/self", ".");
	add(&a, BG_ENTRY_SYMLINK, "etc/audit/a", "b");
	add(&a, BG_ENTRY_SYMLINK, "etc/audit/b", "/etc/audit/a");
	add(&a, BG_ENTRY_SYMLINK, "etc/audit/chain1", "chain2");
	add(&a, BG_ENTRY_SYMLINK, "etc/audit/chain2", "audit.rules");
	bg_imageview_apply(v, 0, &a.s, &err);
	char *r = NULL;
	ok(bg_imageview_resolve(v, "/etc/audit/up/etc/audit/audit.rules", &r, &err) == 0 &&
		   strcmp(r, "/etc/audit/audit.rules") == 0,
	   "\"..\" above the root stays at the root (%s)", r ? r : err.message);
	free(r);
	is_str(content(v, "etc/audit/self/self/./audit.rules"), "-D", "\".\" symlinks and ./ resolve");
	is_str(content(v, "//etc///audit/chain1"), "-D", "a symlink chain resolves");
	const bg_file *f = NULL;
	ok(bg_imageview_stat(v, "/etc/audit/a", &f, &err) < 0 && strstr(err.message, "symbolic links"),
	   "a two-link loop fails after the hop limit (%s)", err.message);
	ok(bg_imageview_lstat(v, "/etc/audit/a") != NULL, "lstat of a looping link still finds the link");
	ok(bg_imageview_stat(v, "/etc/audit/missing", &f, &err) < 0 && strstr(err.message, "not in the image"),
	   "a missing file is reported (%s)", err.message);
	bg_imageview_free(v);
}

static void test_hardlinks_and_root(void)
{
	bg_imageview *v = NULL;
	bg_error err = {0};
	bg_imageview_new(&v, &err);
	mk a, b, c;
	mk_init(&a, "sha256:a");
	add(&a, BG_ENTRY_FILE, "etc/audit/orig", "content");
	add(&a, BG_ENTRY_DIR, "etc/audit/dir", NULL);
	bg_imageview_apply(v, 0, &a.s, &err);
	mk_init(&b, "sha256:b");
	add(&b, BG_ENTRY_HARDLINK, "etc/audit/copy", "etc/audit/orig");
	add(&b, BG_ENTRY_HARDLINK, "etc/audit/dangling", "etc/audit/nothing");
	add(&b, BG_ENTRY_HARDLINK, "etc/audit/todir", "etc/audit/dir");
	add(&b, BG_ENTRY_FILE, "etc/audit/orig", "changed later");
	ok(bg_imageview_apply(v, 1, &b.s, &err) == 0, "a layer with unresolved hardlinks applies");
	is_str(content(v, "/etc/audit/copy"), "content",
	       "a hardlink takes its target's content as it was at that point");
	is_str(content(v, "/etc/audit/orig"), "changed later", "the target itself changes after");
	ok(bg_imageview_lstat(v, "/etc/audit/dangling") == NULL && bg_imageview_lstat(v, "/etc/audit/todir") == NULL,
	   "a hardlink to nothing or to a directory is not created");
	ok(bg_imageview_warning_count(v) == 2 && strstr(bg_imageview_warning(v, 0), "does not exist") &&
		   strstr(bg_imageview_warning(v, 1), "directory"),
	   "and each is a warning naming the layer");

	/* Opaque root: everything below goes. */
	mk_init(&c, "sha256:c");
	add(&c, BG_ENTRY_FILE, "etc/audit/new", "n");
	add(&c, BG_ENTRY_OPAQUE, "", NULL);
	bg_imageview_apply(v, 2, &c.s, &err);
	ok(bg_imageview_lstat(v, "/etc/audit/orig") == NULL && content(v, "/etc/audit/new"),
	   "an opaque root hides every lower entry, not this layer's");

	mk d;
	mk_init(&d, "sha256:d");
	/* The scan refuses such names itself; the view refuses them too. */
	add(&d, BG_ENTRY_SYMLINK, "", "/tmp");
	ok(bg_imageview_apply(v, 3, &d.s, &err) < 0 && strstr(err.message, "root"),
	   "an entry landing on the root as a non-directory is refused (%s)", err.message);
	bg_imageview_free(v);
	bg_imageview_free(NULL);
}

int main(void)
{
	test_replacements();
	test_symlink_dir_and_listing();
	test_resolution();
	test_hardlinks_and_root();
	return tap_done();
}
