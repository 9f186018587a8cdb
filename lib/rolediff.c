/* bootgate — what changed between two role manifests, per role, as text or
 * as Markdown for a merge-request comment (include/bootgate/roles.h). */
#include <stdio.h>
#include <string.h>

#include "bootgate/roles.h"
#include "util.h"

typedef struct differ {
	bg_strbuf *b;
	bool md;
} differ;

/* A value from a manifest.  Text: control bytes as \xNN.  Markdown: an
 * inline code span, with backticks (which would end it) replaced, so a
 * signer uid cannot inject links or formatting into the comment. */
static void put_val(const differ *d, const char *s)
{
	if (!s) {
		bg_strbuf_puts(d->b, d->md ? "_none_" : "(none)");
		return;
	}
	if (d->md)
		bg_strbuf_putc(d->b, '`');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			bg_strbuf_printf(d->b, "\\x%02x", *p);
		else if (d->md && *p == '`')
			bg_strbuf_putc(d->b, '\'');
		else
			bg_strbuf_putc(d->b, (char)*p);
	}
	if (d->md)
		bg_strbuf_putc(d->b, '`');
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *arrow(const differ *d)
{
	return d->md ? " → " : " -> ";
}

static void field_line(const differ *d, const char *label, const char *a, const char *b)
{
	if (same(a, b))
		return;
	bg_strbuf_printf(d->b, d->md ? "  - %s: " : "    %s: ", label);
	put_val(d, a);
	bg_strbuf_puts(d->b, arrow(d));
	put_val(d, b);
	bg_strbuf_putc(d->b, '\n');
}

/* "FPR (uid)" so one line shows a signer change. */
static char *signer_text(const bg_role_evidence *e)
{
	if (!e->signer_fingerprint && !e->signer_uid)
		return NULL;
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, e->signer_fingerprint ? e->signer_fingerprint : "?");
	if (e->signer_uid)
		bg_strbuf_printf(&b, " (%s)", e->signer_uid);
	return bg_strbuf_take(&b);
}

static bool has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void bases_lines(const differ *d, const bg_role_entry *a, const bg_role_entry *b)
{
	for (size_t i = 0; i < a->n_base_digests; i++)
		if (!has(b->base_digests, b->n_base_digests, a->base_digests[i])) {
			bg_strbuf_puts(d->b, d->md ? "  - base digest removed: " : "    base digest removed: ");
			put_val(d, a->base_digests[i]);
			bg_strbuf_putc(d->b, '\n');
		}
	for (size_t i = 0; i < b->n_base_digests; i++)
		if (!has(a->base_digests, a->n_base_digests, b->base_digests[i])) {
			bg_strbuf_puts(d->b, d->md ? "  - base digest added: " : "    base digest added: ");
			put_val(d, b->base_digests[i]);
			bg_strbuf_putc(d->b, '\n');
		}
}

static bool bases_same(const bg_role_entry *a, const bg_role_entry *b)
{
	if (a->n_base_digests != b->n_base_digests)
		return false;
	for (size_t i = 0; i < a->n_base_digests; i++)
		if (!has(b->base_digests, b->n_base_digests, a->base_digests[i]))
			return false;
	return true;
}

static void role_head(const differ *d, const char *name, const char *what)
{
	if (d->md) {
		bg_strbuf_puts(d->b, "- ");
		put_val(d, name);
		bg_strbuf_printf(d->b, " **%s**", what);
	} else {
		bg_strbuf_printf(d->b, "%s role %s %s", strcmp(what, "added") == 0 ? "+" :
					 strcmp(what, "removed") == 0 ? "-" : "~", name, what);
	}
}

static void role_added(const differ *d, const bg_role_entry *e, const char *what)
{
	role_head(d, e->name, what);
	bg_strbuf_puts(d->b, ": ");
	put_val(d, e->repository);
	bg_strbuf_puts(d->b, " ");
	put_val(d, e->manifest_digest);
	bg_strbuf_putc(d->b, '\n');
}

/* Returns whether the role changed. */
static bool role_changed(const differ *d, const bg_role_entry *a, const bg_role_entry *b)
{
	_cleanup_free_ char *sa = signer_text(&a->evidence);
	_cleanup_free_ char *sb = signer_text(&b->evidence);
	bool content = !same(a->repository, b->repository) || !same(a->manifest_digest, b->manifest_digest) ||
		       !same(a->index_digest, b->index_digest) || !bases_same(a, b) ||
		       !same(a->evidence.policy_hash, b->evidence.policy_hash) || !same(sa, sb) ||
		       !same(a->evidence.source_revision, b->evidence.source_revision) ||
		       !same(a->evidence.verdict, b->evidence.verdict);
	if (!content && a->recorded == b->recorded)
		return false;
	char ra[BG_ROLES_TIME_MAX], rb[BG_ROLES_TIME_MAX];
	bg_roles_time_format(a->recorded, ra);
	bg_roles_time_format(b->recorded, rb);
	if (!content) {
		role_head(d, a->name, "re-recorded");
		bg_strbuf_puts(d->b, " (same image and evidence): ");
		put_val(d, rb);
		bg_strbuf_putc(d->b, '\n');
		return true;
	}
	role_head(d, a->name, "changed");
	bg_strbuf_putc(d->b, '\n');
	field_line(d, "repository", a->repository, b->repository);
	field_line(d, "manifest digest", a->manifest_digest, b->manifest_digest);
	field_line(d, "index digest", a->index_digest, b->index_digest);
	bases_lines(d, a, b);
	field_line(d, "policy", a->evidence.policy_hash, b->evidence.policy_hash);
	field_line(d, "signer", sa, sb);
	field_line(d, "source revision", a->evidence.source_revision, b->evidence.source_revision);
	field_line(d, "verdict", a->evidence.verdict, b->evidence.verdict);
	field_line(d, "recorded", ra, rb);
	return true;
}

int bg_roles_diff(const bg_role_manifest *old_m, const bg_role_manifest *new_m,
		  bg_roles_diff_format format, char **out, bool *changed, bg_error *err)
{
	bg_strbuf b = {0};
	differ d = {.b = &b, .md = format == BG_ROLES_DIFF_MARKDOWN};
	bool any = false;
	char ea[BG_ROLES_TIME_MAX], eb[BG_ROLES_TIME_MAX];
	bg_roles_time_format(old_m->expires, ea);
	bg_roles_time_format(new_m->expires, eb);
	if (d.md)
		bg_strbuf_printf(&b, "### Role manifest: serial %lld → %lld\n\nExpires: `%s` → `%s`\n\n",
				 (long long)old_m->serial, (long long)new_m->serial, ea, eb);
	else
		bg_strbuf_printf(&b, "Role manifest: serial %lld -> %lld, expires %s -> %s\n",
				 (long long)old_m->serial, (long long)new_m->serial, ea, eb);
	if (new_m->serial <= old_m->serial)
		bg_strbuf_puts(&b, d.md ? "**Warning:** the new serial is not higher than the old one; hosts "
					  "with replay protection will refuse it.\n\n"
					: "warning: the new serial is not higher than the old one; hosts with "
					  "replay protection will refuse it\n");
	/* Both role lists are sorted: walk them together. */
	size_t i = 0, j = 0, unchanged = 0;
	while (i < old_m->n_roles || j < new_m->n_roles) {
		int c = i == old_m->n_roles ? 1 : j == new_m->n_roles ? -1 :
			strcmp(old_m->roles[i].name, new_m->roles[j].name);
		if (c < 0) {
			role_added(&d, &old_m->roles[i++], "removed");
			any = true;
		} else if (c > 0) {
			role_added(&d, &new_m->roles[j++], "added");
			any = true;
		} else {
			if (role_changed(&d, &old_m->roles[i], &new_m->roles[j]))
				any = true;
			else
				unchanged++;
			i++;
			j++;
		}
	}
	if (!any)
		bg_strbuf_puts(&b, d.md ? "No role changed.\n" : "no role changed\n");
	if (unchanged)
		bg_strbuf_printf(&b, d.md ? "\n%zu role%s unchanged.\n" : "%zu role%s unchanged\n", unchanged,
				 unchanged == 1 ? "" : "s");
	if (b.oom) {
		bg_strbuf_free(&b);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	*out = bg_strbuf_take(&b);
	if (!*out)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (changed)
		*changed = any;
	return 0;
}
