/* bootgate — audit rules normalised for comparison (reference/audit.md §1.6,
 * §1.7).
 *
 * A parsed rule becomes the struct auditctl would send (bg_audit_kernel_rule:
 * a watch is exit/always with all syscalls and fields path|dir, perm; keys
 * last).  The canonical text then drops what the kernel does not care about:
 * field order (fields are ANDed), the spelling of values (unset/-1/4294967295,
 * names/numbers, b64/x86_64/0xc000003e, hex/decimal), -C direction, dir=
 * trailing '/'.  What stays different on purpose: exit=EACCES (+13) vs
 * -EACCES, dir= vs path=, arch vs no arch, never vs always, the list, -A vs
 * -a, and the order of keys. */
#include <linux/audit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auditrules.h"
#include "auditrules_private.h"
#include "util.h"

static const char *machine_of(const bg_audit_context *ctx)
{
	return ctx && ctx->machine ? ctx->machine : "x86_64";
}

static bool watch_is_dir(const bg_audit_rule *r, const bg_audit_context *ctx)
{
	return ctx && ctx->path_type &&
	       ctx->path_type(ctx->ctx, r->watch_path) == BG_AUDIT_PATH_DIR;
}

static int push_kfield(bg_audit_kernel_rule *k, const char *name, bg_audit_op op, bool is_string,
		       const char *sval, uint32_t num, bool unresolved)
{
	bg_audit_kfield *nv = realloc(k->fields, (k->nfields + 1) * sizeof *nv);
	if (!nv)
		return BG_E_NOMEM;
	k->fields = nv;
	bg_audit_kfield *f = &k->fields[k->nfields];
	memset(f, 0, sizeof *f);
	f->name = bg_strdup(name);
	f->op = op;
	f->is_string = is_string;
	f->num = num;
	f->unresolved = unresolved;
	if (sval)
		f->sval = bg_strdup(sval);
	if (!f->name || (sval && !f->sval)) {
		free(f->name);
		free(f->sval);
		return BG_E_NOMEM;
	}
	k->nfields++;
	return 0;
}

static uint32_t perm_bits(const char *letters)
{
	uint32_t v = 0;
	for (const char *p = letters; p && *p; p++) {
		switch (*p | 0x20) {
		case 'r': v |= AUDIT_PERM_READ; break;
		case 'w': v |= AUDIT_PERM_WRITE; break;
		case 'x': v |= AUDIT_PERM_EXEC; break;
		case 'a': v |= AUDIT_PERM_ATTR; break;
		default: break;
		}
	}
	return v;
}

void bg_audit_kernel_rule_clear(bg_audit_kernel_rule *k)
{
	if (!k)
		return;
	free(k->syscalls);
	for (size_t i = 0; i < k->nfields; i++) {
		free(k->fields[i].name);
		free(k->fields[i].sval);
	}
	free(k->fields);
	memset(k, 0, sizeof *k);
}

int bg_auditnorm_kernel(const bg_audit_rule *r, const bg_audit_context *ctx,
			bg_audit_kernel_rule *k, bg_error *err)
{
	memset(k, 0, sizeof *k);
	bool watch = r->kind == BG_AUDIT_WATCH || r->kind == BG_AUDIT_UNWATCH;
	if (!watch && r->kind != BG_AUDIT_SYSCALL && r->kind != BG_AUDIT_DELETE)
		return bg_error_set(err, BG_E_USAGE, "not an audit rule (control or blank line)");
	snprintf(k->list, sizeof k->list, "%s", r->list ? r->list : "exit");
	snprintf(k->action, sizeof k->action, "%s", r->action ? r->action : "always");
	k->prepend = r->prepend;
	k->all_syscalls = r->all_syscalls;
	if (r->nsyscalls) {
		if (!(k->syscalls = malloc(r->nsyscalls * sizeof *k->syscalls)))
			goto oom;
		memcpy(k->syscalls, r->syscalls, r->nsyscalls * sizeof *k->syscalls);
		k->nsyscalls = r->nsyscalls;
	}
	if (watch) {
		if (push_kfield(k, watch_is_dir(r, ctx) ? "dir" : "path", BG_AUDIT_OP_EQ, true,
				r->watch_path, 0, false) < 0 ||
		    push_kfield(k, "perm", BG_AUDIT_OP_EQ, false, NULL,
				r->perm ? perm_bits(r->perm) : 0xf, false) < 0)
			goto oom;
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const bg_audit_field *f = &r->fields[i];
		if (strcmp(f->name, "arch") == 0) {
			k->has_arch = true;
			k->arch = f->num;
		}
		if (push_kfield(k, f->name, f->op, f->is_string,
				f->is_string ? f->sval : f->unresolved ? f->value : NULL, f->num,
				f->unresolved) < 0)
			goto oom;
	}
	if (r->nkeys) {
		bg_strbuf b = { 0 };
		for (size_t i = 0; i < r->nkeys; i++) {
			if (i)
				bg_strbuf_putc(&b, AUDIT_KEY_SEPARATOR);
			bg_strbuf_puts(&b, r->keys[i]);
		}
		if (b.oom) {
			bg_strbuf_free(&b);
			goto oom;
		}
		int rc = push_kfield(k, "key", BG_AUDIT_OP_EQ, true, b.s, 0, false);
		bg_strbuf_free(&b);
		if (rc < 0)
			goto oom;
	}
	return 0;
oom:
	bg_audit_kernel_rule_clear(k);
	return bg_error_set(err, BG_E_NOMEM, "out of memory normalising an audit rule");
}

/* One field's value as canonical text. */
static void value_text(bg_strbuf *b, const bg_audit_kfield *f, const char *machine,
		       bool canonical)
{
	int id = bg_audit_field_id(f->name);
	if (f->unresolved) {
		bg_strbuf_puts(b, f->sval);
		return;
	}
	if (f->is_string) {
		const char *s = f->sval ? f->sval : "";
		size_t n = strlen(s);
		/* dir=/x/ and dir=/x watch the same tree. */
		if (canonical && id == AUDIT_DIR)
			while (n > 1 && s[n - 1] == '/')
				n--;
		bg_strbuf_add(b, s, n);
		return;
	}
	char buf[40];
	switch (id) {
	case AUDIT_UID: case AUDIT_EUID: case AUDIT_SUID: case AUDIT_FSUID:
	case AUDIT_LOGINUID: case AUDIT_OBJ_UID:
		if (f->num == 4294967295u)
			bg_strbuf_puts(b, "unset");
		else
			bg_strbuf_printf(b, "%u", (unsigned)f->num);
		return;
	case AUDIT_EXIT: {
		int v = (int)f->num;
		const char *name = v < 0 ? bg_audit_errno_name(-v) : NULL;
		if (name)
			bg_strbuf_printf(b, "-%s", name);
		else
			bg_strbuf_printf(b, "%d", v);
		return;
	}
	case AUDIT_ARCH:
		bg_strbuf_puts(b, bg_audit_arch_name(f->num, machine, buf));
		return;
	case AUDIT_PERM:
		if (f->num & AUDIT_PERM_READ)
			bg_strbuf_putc(b, 'r');
		if (f->num & AUDIT_PERM_WRITE)
			bg_strbuf_putc(b, 'w');
		if (f->num & AUDIT_PERM_EXEC)
			bg_strbuf_putc(b, 'x');
		if (f->num & AUDIT_PERM_ATTR)
			bg_strbuf_putc(b, 'a');
		return;
	case AUDIT_FILETYPE: {
		const char *n = bg_audit_filetype_name(f->num);
		if (n)
			bg_strbuf_puts(b, n);
		else
			bg_strbuf_printf(b, "%u", (unsigned)f->num);
		return;
	}
	case AUDIT_ARG0: case AUDIT_ARG1: case AUDIT_ARG2: case AUDIT_ARG3:
		bg_strbuf_printf(b, "0x%x", (unsigned)f->num);
		return;
	default:
		bg_strbuf_printf(b, "%u", (unsigned)f->num);
		return;
	}
}

static void field_text(bg_strbuf *b, const bg_audit_kfield *f, const char *machine, bool canonical)
{
	if (strcmp(f->name, "field_compare") == 0) {
		char buf[40];
		bg_strbuf_printf(b, "-C %s",
				 bg_audit_compare_text(f->num, f->op == BG_AUDIT_OP_NE, buf));
		return;
	}
	bg_strbuf_printf(b, "-F %s%s", f->name, bg_audit_op_name(f->op));
	value_text(b, f, machine, canonical);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The syscall list for the arch of the rule (native table without arch). */
static void syscalls_text(bg_strbuf *b, const bg_audit_kernel_rule *k, const bg_audit_rule *r,
			  uint32_t arch)
{
	if (k->all_syscalls) {
		bg_strbuf_puts(b, " -S all");
		return;
	}
	if (!k->nsyscalls && !r->nsyscall_names)
		return;
	bg_strbuf_puts(b, " -S ");
	bool first = true;
	for (size_t i = 0; i < k->nsyscalls; i++) {
		const char *n = bg_audit_syscall_name(arch, k->syscalls[i]);
		if (!first)
			bg_strbuf_putc(b, ',');
		first = false;
		if (n)
			bg_strbuf_puts(b, n);
		else
			bg_strbuf_printf(b, "%d", k->syscalls[i]);
	}
	for (size_t i = 0; i < r->nsyscall_names; i++) {
		if (!first)
			bg_strbuf_putc(b, ',');
		first = false;
		bg_strbuf_puts(b, r->syscall_names[i]);
	}
}

/* The canonical text with an optional arch imposed (for coverage). */
static char *canonical_with(const bg_audit_rule *r, const bg_audit_context *ctx, uint32_t force_arch)
{
	bg_audit_kernel_rule k;
	if (bg_auditnorm_kernel(r, ctx, &k, NULL) < 0)
		return NULL;
	const char *machine = machine_of(ctx);
	uint32_t native = bg_audit_arch_id(machine, machine);
	uint32_t arch = force_arch ? force_arch : k.has_arch ? k.arch : native;
	bg_strbuf b = { 0 };
	char buf[16];
	bg_strbuf_printf(&b, "%s %s,%s", k.prepend ? "-A" : "-a", k.action, k.list);
	if (force_arch) {
		bg_strbuf_printf(&b, " -F arch=%s", bg_audit_arch_name(force_arch, machine, buf));
	} else {
		for (size_t i = 0; i < k.nfields; i++)
			if (strcmp(k.fields[i].name, "arch") == 0) {
				bg_strbuf_putc(&b, ' ');
				field_text(&b, &k.fields[i], machine, true);
			}
	}
	bool syscall_list = strcmp(k.list, "exit") == 0 || strcmp(k.list, "io_uring") == 0;
	if (syscall_list)
		syscalls_text(&b, &k, r, arch);
	/* Other fields, sorted: they are ANDed, order does not matter. */
	bg_strv parts = { 0 };
	bool oom = false;
	for (size_t i = 0; i < k.nfields && !oom; i++) {
		const bg_audit_kfield *f = &k.fields[i];
		if (strcmp(f->name, "arch") == 0 || strcmp(f->name, "key") == 0)
			continue;
		bg_strbuf fb = { 0 };
		field_text(&fb, f, machine, true);
		char *s = bg_strbuf_take(&fb);
		if (!s || bg_strv_push_take(&parts, s) < 0)
			oom = true;
	}
	if (parts.n)
		qsort(parts.v, parts.n, sizeof *parts.v, cmp_str);
	for (size_t i = 0; i < parts.n; i++) {
		bg_strbuf_putc(&b, ' ');
		bg_strbuf_puts(&b, parts.v[i]);
	}
	bg_strv_free(&parts);
	/* Keys last, in written order (the order is part of the stored key). */
	for (size_t i = 0; i < r->nkeys; i++)
		bg_strbuf_printf(&b, " -F key=%s", r->keys[i]);
	bg_audit_kernel_rule_clear(&k);
	if (oom) {
		bg_strbuf_free(&b);
		return NULL;
	}
	return bg_strbuf_take(&b);
}

char *bg_auditnorm_canonical(const bg_audit_rule *rule, const bg_audit_context *ctx)
{
	if (!rule)
		return NULL;
	return canonical_with(rule, ctx, 0);
}

bool bg_auditnorm_equivalent(const bg_audit_rule *a, const bg_audit_rule *b,
			     const bg_audit_context *ctx)
{
	_cleanup_free_ char *ca = bg_auditnorm_canonical(a, ctx);
	_cleanup_free_ char *cb = bg_auditnorm_canonical(b, ctx);
	return ca && cb && strcmp(ca, cb) == 0;
}

int bg_auditnorm_coverage(const bg_audit_rule *rule, const bg_audit_context *ctx, char ***out,
			  size_t *n)
{
	bg_audit_kernel_rule k;
	if (bg_auditnorm_kernel(rule, ctx, &k, NULL) < 0)
		return BG_E_USAGE;
	bool expand = !k.has_arch && strcmp(k.list, "exit") == 0;
	bg_audit_kernel_rule_clear(&k);
	const char *machine = machine_of(ctx);
	uint32_t abis[2] = { bg_audit_arch_id("b64", machine), bg_audit_arch_id("b32", machine) };
	char *texts[2] = { NULL, NULL };
	size_t nt = 0;
	if (!expand) {
		if (!(texts[nt++] = bg_auditnorm_canonical(rule, ctx)))
			return BG_E_NOMEM;
	} else {
		for (size_t i = 0; i < 2; i++) {
			if (!abis[i])
				continue; /* no such ABI on this machine (ppc64le b32) */
			if (!(texts[nt] = canonical_with(rule, ctx, abis[i]))) {
				for (size_t j = 0; j < nt; j++)
					free(texts[j]);
				return BG_E_NOMEM;
			}
			nt++;
		}
	}
	char **nv = realloc(*out, (*n + nt) * sizeof *nv);
	if (!nv) {
		for (size_t j = 0; j < nt; j++)
			free(texts[j]);
		return BG_E_NOMEM;
	}
	for (size_t j = 0; j < nt; j++)
		nv[(*n)++] = texts[j];
	*out = nv;
	return 0;
}

static int coverage_set(const bg_audit_rule *const *rules, size_t n, const bg_audit_context *ctx,
			char ***out, size_t *nout)
{
	for (size_t i = 0; i < n; i++) {
		int rc = bg_auditnorm_coverage(rules[i], ctx, out, nout);
		if (rc < 0)
			return rc;
	}
	if (*nout)
		qsort(*out, *nout, sizeof **out, cmp_str);
	/* A set: drop duplicates. */
	size_t w = 0;
	for (size_t i = 0; i < *nout; i++) {
		if (w && strcmp((*out)[w - 1], (*out)[i]) == 0) {
			free((*out)[i]);
			continue;
		}
		(*out)[w++] = (*out)[i];
	}
	*nout = w;
	return 0;
}

bool bg_auditnorm_set_equivalent(const bg_audit_rule *const *a, size_t na,
				 const bg_audit_rule *const *b, size_t nb,
				 const bg_audit_context *ctx)
{
	char **ta = NULL, **tb = NULL;
	size_t nta = 0, ntb = 0;
	bool eq = coverage_set(a, na, ctx, &ta, &nta) == 0 && coverage_set(b, nb, ctx, &tb, &ntb) == 0 &&
		  nta == ntb;
	for (size_t i = 0; eq && i < nta; i++)
		eq = strcmp(ta[i], tb[i]) == 0;
	for (size_t i = 0; i < nta; i++)
		free(ta[i]);
	for (size_t i = 0; i < ntb; i++)
		free(tb[i]);
	free(ta);
	free(tb);
	return eq;
}

char *bg_auditnorm_kernel_id(const bg_audit_rule *r, const bg_audit_context *ctx)
{
	bg_audit_kernel_rule k;
	if (bg_auditnorm_kernel(r, ctx, &k, NULL) < 0)
		return NULL;
	bg_strbuf b = { 0 };
	bg_strbuf_printf(&b, "%s|%s|%d|", k.list, k.action, k.prepend);
	if (k.all_syscalls)
		bg_strbuf_puts(&b, "all");
	for (size_t i = 0; i < k.nsyscalls; i++)
		bg_strbuf_printf(&b, "%d,", k.syscalls[i]);
	for (size_t i = 0; i < r->nsyscall_names; i++)
		bg_strbuf_printf(&b, "%s,", r->syscall_names[i]);
	for (size_t i = 0; i < k.nfields; i++) {
		const bg_audit_kfield *f = &k.fields[i];
		bg_strbuf_printf(&b, "|%s%s", f->name, bg_audit_op_name(f->op));
		if (f->is_string || f->unresolved)
			bg_strbuf_puts(&b, f->sval ? f->sval : "");
		else
			bg_strbuf_printf(&b, "%u", (unsigned)f->num);
	}
	bg_audit_kernel_rule_clear(&k);
	return bg_strbuf_take(&b);
}
