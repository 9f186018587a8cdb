/* bootgate — Containerfile lint: walks the parsed instructions with their
 * resolved stages and reports every rule they break (rules: lint_rules.c). */
#include "bootgate/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addsource.h"
#include "bootgate/containerfile.h"
#include "bootgate/digest.h"
#include "bootgate/ignorefile.h"
#include "bootgate/reference.h"
#include "bootgate/shellword.h"
#include "bootgate/stages.h"
#include "lint_rules.h"
#include "suppression.h"
#include "util.h"

#define DEFAULT_PLATFORM "linux/amd64"

/* Variables visible to COPY/ADD/WORKDIR of the current stage: its ARGs
 * (with build-arg values) and ENVs, in order; the last definition wins. */
typedef struct stage_env {
	bg_shell_var *v;
	size_t n, cap;
} stage_env;

typedef struct lint_ctx {
	const char *path;
	const bg_containerfile *cf;
	const bg_stages *stages;
	const bg_lint_options *opts;
	bg_findings *out;
	const char *const *build_args; /* config's, then the command line's */
	size_t n_build_args;
	stage_env env;
	bg_arena env_strings;          /* names and values of env (never freed one by one) */
	char *workdir;                 /* current stage's WORKDIR ("/" by default) */
	bool in_onbuild;               /* checking an ONBUILD trigger */
	/* The last --from / from= value looked up among the stages, and the
	 * answer: consecutive COPY --from usually name the same stage. */
	char *last_stage_ref;
	int last_stage_found;          /* bg_stages_find's 0 or 1 */
	/* The build context's ignore file, looked up on first need. */
	bool ignore_checked;
	char *ignore_path;
	bool ignore_allowlist;
	bool oom;                      /* a finding could not be recorded */
} lint_ctx;

/* keyword == kw, compared inline: keywords are short, and checked for
 * every instruction. */
static bool is_keyword(const char *keyword, const char *kw)
{
	while (*keyword && *keyword == *kw) {
		keyword++;
		kw++;
	}
	return *keyword == *kw;
}

/* ---- findings ---------------------------------------------------------- */

static bg_finding *emit(lint_ctx *c, const bg_rule *rule, unsigned line, unsigned column,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bg_finding *vemit(lint_ctx *c, const bg_rule *rule, unsigned line, unsigned column,
			 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static bg_finding *vemit(lint_ctx *c, const bg_rule *rule, unsigned line, unsigned column,
			 const char *fmt, va_list ap)
{
	bg_severity sev = rule->severity;
	if (c->opts->config && !bg_lintconfig_rule_severity(c->opts->config, rule, &sev))
		return NULL;
	char *msg = NULL;
	int len = vasprintf(&msg, fmt, ap);
	if (len < 0) {
		c->oom = true;
		return NULL;
	}
	bg_finding *f = bg_findings_add(c->out, rule, sev, c->path, line, column, "%s", msg);
	free(msg);
	if (!f)
		c->oom = true;
	if (f && c->cf && line) {
		size_t n = 0;
		const char *text = bg_containerfile_line(c->cf, line, &n);
		if (text)
			bg_finding_set_snippet(f, text, n);
	}
	return f;
}

static bg_finding *emit(lint_ctx *c, const bg_rule *rule, unsigned line, unsigned column,
			const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bg_finding *f = vemit(c, rule, line, column, fmt, ap);
	va_end(ap);
	return f;
}

/* Where needle starts in the instruction's source, else its first line. */
static void locate(lint_ctx *c, const bg_instruction *ins, const char *needle, unsigned *line,
		   unsigned *col)
{
	if (!needle || !*needle || bg_containerfile_locate(c->cf, ins, needle, line, col) != 0) {
		*line = ins->start_line;
		*col = 1;
	}
}

/* Locate "prefix + value" (e.g. "--from=" + image) and point at the value. */
static void locate_after(lint_ctx *c, const bg_instruction *ins, const char *prefix,
			 const char *value, unsigned *line, unsigned *col)
{
	_cleanup_free_ char *needle = NULL;
	if (asprintf(&needle, "%s%s", prefix, value) >= 0 &&
	    bg_containerfile_locate(c->cf, ins, needle, line, col) == 0) {
		*col += (unsigned)strlen(prefix);
		return;
	}
	locate(c, ins, value, line, col);
}

/* Where a finding points.  Finding the text in the source costs a search
 * per instruction, so it is done only when a finding is emitted: `needle`
 * (prefix + value, pointing at value; or value alone) is located then.
 * Without an instruction, line and col are given as they are. */
typedef struct place {
	const bg_instruction *ins;
	const char *prefix; /* NULL: locate value itself */
	const char *value;
	unsigned line, col;
} place;

/* Locate at->value (once: the result is kept in *at). */
static void place_resolve(lint_ctx *c, place *at)
{
	if (!at->ins)
		return;
	if (at->prefix)
		locate_after(c, at->ins, at->prefix, at->value, &at->line, &at->col);
	else
		locate(c, at->ins, at->value, &at->line, &at->col);
	at->ins = NULL;
}

static bg_finding *emit_at(lint_ctx *c, const bg_rule *rule, place *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bg_finding *emit_at(lint_ctx *c, const bg_rule *rule, place *at, const char *fmt, ...)
{
	place_resolve(c, at);
	va_list ap;
	va_start(ap, fmt);
	bg_finding *f = vemit(c, rule, at->line, at->col, fmt, ap);
	va_end(ap);
	return f;
}

/* ---- stage environment -------------------------------------------------- */

static void env_clear(stage_env *e)
{
	e->n = 0; /* the strings stay in the arena until the lint ends */
}

static void env_set(lint_ctx *c, const char *name, size_t name_len, const char *value)
{
	stage_env *e = &c->env;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		bg_shell_var *v = realloc(e->v, cap * sizeof *v);
		if (!v)
			return;
		e->v = v;
		e->cap = cap;
	}
	char *n = bg_arena_strndup(&c->env_strings, name, name_len);
	char *val = value ? bg_arena_strndup(&c->env_strings, value, strlen(value)) : NULL;
	if (!n || (value && !val))
		return;
	e->v[e->n++] = (bg_shell_var){.name = n, .value = val};
}

/* The value a build arg gives NAME (the last one wins), or NULL. */
static const char *build_arg_value(const lint_ctx *c, const char *name, size_t len)
{
	const char *found = NULL;
	for (size_t i = 0; i < c->n_build_args; i++) {
		const char *kv = c->build_args[i];
		if (strncmp(kv, name, len) == 0 && kv[len] == '=')
			found = kv + len + 1;
	}
	return found;
}

/* Expand a word over the stage environment; NULL when it cannot be (the
 * parser or stage resolution reports real syntax errors).  A word without
 * '$', quotes or the escape character is its own expansion and is returned
 * as it is; otherwise *owned gets the expansion, which the caller frees. */
static const char *expand(lint_ctx *c, const char *word, char **owned)
{
	*owned = NULL;
	const char special[] = {'$', '"', '\'', c->cf->escape, '\0'};
	if (!strpbrk(word, special))
		return word;
	bg_shell_env env = {.vars = c->env.v, .n = c->env.n};
	bg_error err;
	bg_error_init_quick(&err);
	if (bg_shell_word(word, c->cf->escape, &env, owned, NULL, &err) != 0)
		return NULL;
	return *owned;
}

static void on_arg(lint_ctx *c, const bg_instruction *ins)
{
	for (size_t i = 0; i < ins->n_args; i++) {
		const char *a = ins->args[i].s;
		const char *eq = strchr(a, '=');
		size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
		const char *value = build_arg_value(c, a, name_len);
		_cleanup_free_ char *def = NULL;
		if (!value && eq)
			value = expand(c, eq + 1, &def);
		if (!value && !eq) {
			/* `ARG NAME` in a stage re-declares a meta ARG with its default. */
			for (size_t m = 0; m < c->cf->n && !is_keyword(c->cf->v[m].keyword, "from"); m++) {
				const bg_instruction *meta = &c->cf->v[m];
				for (size_t j = 0; is_keyword(meta->keyword, "arg") && j < meta->n_args; j++) {
					const char *ma = meta->args[j].s;
					if (strncmp(ma, a, name_len) == 0 && ma[name_len] == '=') {
						free(def);
						value = expand(c, ma + name_len + 1, &def);
					}
				}
			}
		}
		env_set(c, a, name_len, value);
	}
}

static void on_env(lint_ctx *c, const bg_instruction *ins)
{
	/* ENV arguments are key, value, separator triples. */
	for (size_t i = 0; i + 1 < ins->n_args; i += 3) {
		_cleanup_free_ char *owned = NULL;
		const char *value = expand(c, ins->args[i + 1].s, &owned);
		env_set(c, ins->args[i].s, strlen(ins->args[i].s), value ? value : "");
	}
}

static void on_workdir(lint_ctx *c, const bg_instruction *ins)
{
	if (ins->n_args == 0)
		return;
	_cleanup_free_ char *owned = NULL;
	const char *dir = expand(c, ins->args[0].s, &owned);
	if (!dir)
		return;
	char *next;
	if (dir[0] == '/')
		next = owned ? BG_TAKE_PTR(owned) : bg_strdup(dir);
	else if (asprintf(&next, "%s/%s", c->workdir ? c->workdir : "", dir) < 0)
		return;
	if (!next)
		return;
	free(c->workdir);
	c->workdir = next;
}

/* ---- image references --------------------------------------------------- */

static void allowed_list(const bg_lintconfig *cfg, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; cfg && i < cfg->n_allowed_registries && used + 1 < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", cfg->allowed_registries[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Checks one image reference: digest well-formed, grammar valid, registry
 * allowed, pinned by digest; for FROM also the 'latest' tag.  `what` names
 * the place in messages ("base image", "COPY --from image", ...). */
static void check_image(lint_ctx *c, const char *image, place *at, const bg_rule *unpinned,
			const char *what, bool is_from)
{
	const char *digest_at = strrchr(image, '@');
	if (digest_at && !bg_digest_valid(digest_at + 1)) {
		emit_at(c, &bg_rule_digest_malformed, at,
			"%s '%s' has digest '%s', which is not sha256:<64 lower-case hex> or sha512:<128 hex>",
			what, image, digest_at + 1);
		return;
	}
	bg_reference ref = {0};
	bg_error err = {0};
	if (bg_reference_parse(image, &ref, &err) != 0) {
		emit_at(c, &bg_rule_image_invalid, at, "%s '%s' is not a valid image reference: %s", what,
			image, err.message);
		return;
	}
	const bg_lintconfig *cfg = c->opts->config;
	if (cfg && cfg->n_allowed_registries) {
		bool allowed = false;
		for (size_t i = 0; i < cfg->n_allowed_registries && !allowed; i++)
			allowed = bg_reference_registry_matches(ref.domain, cfg->allowed_registries[i]);
		if (!allowed) {
			char list[512];
			allowed_list(cfg, list, sizeof list);
			emit_at(c, &bg_rule_registry_untrusted, at,
				"%s '%s' comes from registry '%s', which is not on the allow-list (%s)", what, image,
				ref.domain, list);
		}
	}
	if (!ref.digest)
		emit_at(c, unpinned, at, "%s '%s' is not pinned by digest (@sha256:...)%s", what, image,
			c->in_onbuild ? "; ONBUILD runs it in every downstream build" : "");
	if (is_from && !ref.digest && (ref.tag_implicit || strcmp(ref.tag, "latest") == 0))
		emit_at(c, &bg_rule_base_latest, at, "%s '%s' %s", what, image,
			ref.tag_implicit ? "has no tag, so it means ':latest'" : "uses the 'latest' tag");
	bg_reference_free(&ref);
}

/* An image named by COPY --from or RUN --mount from=: a stage, or an image.
 * In an ONBUILD trigger no stage of this file exists in the downstream build. */
static void check_from_value(lint_ctx *c, const bg_instruction *ins, const char *value,
			     const char *prefix, const bg_rule *unpinned, const char *what)
{
	place at = {.ins = ins, .prefix = prefix, .value = value};
	if (strchr(value, '$')) {
		emit_at(c, unpinned, &at,
			"%s '%s' uses a variable, which BuildKit does not expand there; name a pinned stage "
			"instead (FROM ${VAR} AS src)", what, value);
		return;
	}
	if (!c->in_onbuild) {
		int r;
		if (c->last_stage_ref && strcmp(c->last_stage_ref, value) == 0) {
			r = c->last_stage_found;
		} else {
			size_t index;
			bg_error err;
			bg_error_init_quick(&err);
			r = bg_stages_find(c->stages, value, &index, &err);
			if (r < 0) {
				emit_at(c, &bg_rule_parse_error, &at, "%s", err.message);
				return;
			}
			free(c->last_stage_ref);
			c->last_stage_ref = bg_strdup(value); /* NULL: no memo, no harm */
			c->last_stage_found = r;
		}
		if (r == 1)
			return;
	}
	check_image(c, value, &at, unpinned, what, false);
}

static void check_from(lint_ctx *c, const bg_instruction *ins, const bg_stage *st)
{
	if (st->kind != BG_BASE_IMAGE)
		return;
	/* Point at the image argument as written (after any --platform flag). */
	const char *written = ins->n_args ? ins->args[0].s : st->image;
	place at = {.ins = ins, .prefix = " ", .value = written};
	if (st->n_unresolved) {
		bg_strbuf names = {0};
		for (size_t i = 0; i < st->n_unresolved; i++)
			bg_strbuf_printf(&names, "%s%s", i ? ", " : "", st->unresolved[i]);
		emit_at(c, &bg_rule_base_unresolved, &at,
			"base image '%s' needs build argument %s, which has no value here, so its pinning "
			"cannot be proven; give the ARG a pinned default or pass --build-arg",
			written, names.s ? names.s : "?");
		bg_strbuf_free(&names);
		return;
	}
	if (!*st->image) {
		emit_at(c, &bg_rule_image_invalid, &at, "base image '%s' expands to an empty name", written);
		return;
	}
	check_image(c, st->image, &at, &bg_rule_base_unpinned, "base image", true);
}

static void check_syntax_directive(lint_ctx *c)
{
	for (size_t i = 0; i < c->cf->n_directives; i++) {
		const bg_directive *d = &c->cf->directives[i];
		if (strcmp(d->name, "syntax") != 0)
			continue;
		size_t n = 0;
		const char *text = bg_containerfile_line(c->cf, d->line, &n);
		const char *pos = text ? memmem(text, n, d->value, strlen(d->value)) : NULL;
		place at = {.line = d->line, .col = pos ? (unsigned)(pos - text) + 1 : 1};
		check_image(c, d->value, &at, &bg_rule_syntax_unpinned, "# syntax= frontend image", false);
	}
}

/* ---- COPY / ADD --------------------------------------------------------- */

static bool is_heredoc_word(const bg_instruction *ins, const char *word)
{
	return ins->n_heredocs > 0 && bg_str_has_prefix(word, "<<");
}

static void ignore_file_state(lint_ctx *c)
{
	if (c->ignore_checked)
		return;
	c->ignore_checked = true;
	bg_error err = {0};
	const char *context = c->opts->context_dir ? c->opts->context_dir : ".";
	if (bg_ignorefile_locate(context, c->path, &c->ignore_path, &err) != 0 || !c->ignore_path)
		return;
	bg_ignorefile *f = NULL;
	if (bg_ignorefile_load(c->ignore_path, &f, &err) == 0)
		c->ignore_allowlist = bg_ignorefile_is_allowlist(f);
	bg_ignorefile_free(f);
}

/* "COPY", "ADD", ... for messages. */
static const char *upper_keyword(const bg_instruction *ins)
{
	static const char *const names[] = {"copy", "COPY", "add", "ADD", "run", "RUN"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i += 2)
		if (is_keyword(ins->keyword, names[i]))
			return names[i + 1];
	return ins->keyword;
}

static void check_broad_source(lint_ctx *c, const bg_instruction *ins, const char *written,
			       const char *src)
{
	if (!bg_source_is_whole_context(src))
		return;
	ignore_file_state(c);
	if (c->ignore_allowlist)
		return;
	place at = {.ins = ins, .prefix = " ", .value = written};
	const char *context = c->opts->context_dir ? c->opts->context_dir : ".";
	if (c->ignore_path)
		emit_at(c, &bg_rule_copy_broad_context, &at,
			"%s '%s' copies the whole build context; %s is not an allow-list (it must start with "
			"'*' and re-include paths with '!path')", upper_keyword(ins), written, c->ignore_path);
	else
		emit_at(c, &bg_rule_copy_broad_context, &at,
			"%s '%s' copies the whole build context; no .containerignore or .dockerignore in %s",
			upper_keyword(ins), written, context);
}

static void check_add_remote(lint_ctx *c, const bg_instruction *ins, const char *written,
			     const char *src, bg_source_kind kind)
{
	const char *checksum = bg_containerfile_flag(ins, "checksum");
	_cleanup_free_ char *owned = NULL;
	const char *sum = checksum ? expand(c, checksum, &owned) : NULL;
	place at = {.ins = ins, .prefix = " ", .value = written};
	if (kind == BG_SOURCE_HTTP) {
		if (!sum)
			emit_at(c, &bg_rule_add_remote_unverified, &at,
				"ADD downloads '%s' without --checksum=sha256:<digest>", src);
		else if (!bg_str_has_prefix(sum, "sha256:") || !bg_digest_valid(sum))
			emit_at(c, &bg_rule_add_remote_unverified, &at,
				"ADD '%s' has --checksum=%s, which is not sha256:<64 lower-case hex>", src, sum);
		return;
	}
	if (sum ? bg_is_commit_id(sum) : bg_git_source_pinned(src))
		return;
	if (sum)
		emit_at(c, &bg_rule_add_git_unpinned, &at,
			"ADD '%s' has --checksum=%s, which is not a full commit id (40 or 64 hex digits)", src, sum);
	else
		emit_at(c, &bg_rule_add_git_unpinned, &at, "ADD of git repository '%s' is not pinned to a commit",
			src);
}

/* "/var" itself or a path below it, other than the build-time scratch areas
 * /var/tmp and /var/cache (usually cache mounts or cleaned in the same RUN). */
static bool is_var_path(const char *p, size_t len)
{
	if (len < 4 || memcmp(p, "/var", 4) != 0 || (len > 4 && p[4] != '/'))
		return false;
	const char *rest = p + 4;
	size_t rlen = len - 4;
	static const char *const exempt[] = {"/tmp", "/cache"};
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(exempt[i]);
		if (rlen >= n && memcmp(rest, exempt[i], n) == 0 && (rlen == n || rest[n] == '/'))
			return false;
	}
	return true;
}

static void check_dest(lint_ctx *c, const bg_instruction *ins, const char *written)
{
	_cleanup_free_ char *owned = NULL;
	const char *dest = expand(c, written, &owned);
	if (!dest)
		return;
	_cleanup_free_ char *abs = NULL;
	if (dest[0] != '/' && asprintf(&abs, "%s/%s", c->workdir ? c->workdir : "", dest) < 0)
		return;
	const char *path = abs ? abs : dest;
	/* Collapse a leading run of slashes so "//var" is seen as "/var". */
	while (path[0] == '/' && path[1] == '/')
		path++;
	if (!is_var_path(path, strlen(path)))
		return;
	place at = {.ins = ins, .prefix = " ", .value = written};
	emit_at(c, &bg_rule_var_content, &at,
		"%s writes to '%s': bootc copies /var from the image only at first install and never "
		"updates it", upper_keyword(ins), path);
}

static void check_copy_add(lint_ctx *c, const bg_instruction *ins)
{
	bool is_add = is_keyword(ins->keyword, "add");
	const char *from = is_add ? NULL : bg_containerfile_flag(ins, "from");
	if (from)
		check_from_value(c, ins, from, "--from=", &bg_rule_copy_from_unpinned, "COPY --from image");
	if (ins->n_args < 2)
		return;
	for (size_t i = 0; i + 1 < ins->n_args; i++) {
		const char *written = ins->args[i].s;
		if (is_heredoc_word(ins, written))
			continue;
		_cleanup_free_ char *owned = NULL;
		const char *src = expand(c, written, &owned);
		if (!src)
			continue;
		bg_source_kind kind = bg_source_classify(src);
		if (kind != BG_SOURCE_LOCAL && !is_add) {
			place at = {.ins = ins, .prefix = " ", .value = written};
			emit_at(c, &bg_rule_parse_error, &at, "source can't be a %s for COPY: '%s' (use ADD)",
				kind == BG_SOURCE_GIT ? "git ref" : "URL", src);
		} else if (kind != BG_SOURCE_LOCAL) {
			check_add_remote(c, ins, written, src, kind);
		} else if (!from) {
			check_broad_source(c, ins, written, src);
		}
	}
	check_dest(c, ins, ins->args[ins->n_args - 1].s);
}

/* ---- RUN ---------------------------------------------------------------- */

/* The --mount targets of a RUN: not part of the image, so paths below
 * them are exempt from the /var rule.  The targets point into the parsed
 * mounts, which are kept until the RUN is checked. */
typedef struct run_mounts {
	bg_mount *v;
	const char **targets;
	size_t n, n_targets, cap;
} run_mounts;

static bool under_mount(const run_mounts *m, const char *p, size_t len)
{
	for (size_t i = 0; i < m->n_targets; i++) {
		size_t n = strlen(m->targets[i]);
		if (len >= n && memcmp(p, m->targets[i], n) == 0 && (len == n || p[n] == '/'))
			return true;
	}
	return false;
}

static void run_mounts_free(run_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		bg_containerfile_mount_free(&m->v[i]);
	free(m->v);
	free(m->targets);
}

static bool path_boundary_before(char ch)
{
	return strchr(" \t\n\"'=>:(;&|", ch) != NULL;
}

/* Collects the /var paths a shell text names (at most `max`). */
static void find_var_paths(const char *text, const run_mounts *mounts, bg_strv *found, size_t max)
{
	for (const char *p = strstr(text, "/var"); p && found->n < max; p = strstr(p + 4, "/var")) {
		if (p != text && !path_boundary_before(p[-1]))
			continue;
		size_t len = strcspn(p, " \t\n\"';&|)<>`");
		while (len > 1 && p[len - 1] == '/')
			len--;
		if (!is_var_path(p, len) || under_mount(mounts, p, len))
			continue;
		_cleanup_free_ char *path = bg_strndup(p, len);
		if (path && !bg_strv_contains(found, path))
			bg_strv_push(found, path);
	}
}

static void check_run(lint_ctx *c, const bg_instruction *ins)
{
	run_mounts mounts = {0};
	size_t pos = 0;
	const char *value;
	while ((value = bg_containerfile_flag_next(ins, "mount", &pos))) {
		if (mounts.n == mounts.cap) {
			size_t cap = mounts.cap ? mounts.cap * 2 : 4;
			bg_mount *v = realloc(mounts.v, cap * sizeof *v);
			const char **t = v ? realloc(mounts.targets, cap * sizeof *t) : NULL;
			if (v)
				mounts.v = v;
			if (t) {
				mounts.targets = t;
				mounts.cap = cap;
			}
		}
		/* Out of memory for the list: check the mount, keep no target. */
		bg_mount unlisted = {0};
		bool listed = mounts.n < mounts.cap;
		bg_mount *m = listed ? &mounts.v[mounts.n] : &unlisted;
		bg_error err;
		bg_error_init_quick(&err);
		if (bg_containerfile_mount_parse(value, m, &err) != 0) {
			unsigned line, col;
			locate(c, ins, value, &line, &col);
			emit(c, &bg_rule_parse_error, line, col, "--mount=%s: %s", value, err.message);
			continue;
		}
		if (listed)
			mounts.n++;
		const char *type = bg_containerfile_mount_get(m, "type");
		const char *from = bg_containerfile_mount_get(m, "from");
		const char *target = bg_containerfile_mount_get(m, "target");
		if (!target)
			target = bg_containerfile_mount_get(m, "dst");
		if (!target)
			target = bg_containerfile_mount_get(m, "destination");
		if (target && listed)
			mounts.targets[mounts.n_targets++] = target;
		if (from && *from && (!type || strcmp(type, "bind") == 0 || strcmp(type, "cache") == 0))
			check_from_value(c, ins, from, "from=", &bg_rule_mount_from_unpinned,
					 "RUN --mount from= image");
		bg_containerfile_mount_free(&unlisted);
	}

	bg_strv paths = {0};
	for (size_t i = 0; i < ins->n_args; i++)
		find_var_paths(ins->args[i].s, &mounts, &paths, 3);
	for (size_t i = 0; i < ins->n_heredocs; i++)
		find_var_paths(ins->heredocs[i].content, &mounts, &paths, 3);
	if (paths.n) {
		unsigned line, col;
		locate(c, ins, paths.v[0], &line, &col);
		bg_strbuf list = {0};
		for (size_t i = 0; i < paths.n; i++)
			bg_strbuf_printf(&list, "%s%s", i ? ", " : "", paths.v[i]);
		emit(c, &bg_rule_var_content, line, col,
		     "RUN names %s under /var: bootc copies /var from the image only at first install and "
		     "never updates it", list.s ? list.s : "");
		bg_strbuf_free(&list);
	}
	bg_strv_free(&paths);
	run_mounts_free(&mounts);
}

/* ---- suppressions ------------------------------------------------------- */

/* Marks the findings an instruction produced (from index `first` on) that a
 * valid `# bootgate ignore=` comment above it names. */
static void apply_suppressions(lint_ctx *c, const bg_instruction *ins, size_t first)
{
	for (size_t i = 0; i < ins->n_comments; i++) {
		const bg_comment *cm = &ins->comments[i];
		bg_suppression s;
		bg_error err;
		bg_error_init_quick(&err);
		int r = bg_suppression_parse(cm->text, &s, &err);
		if (r == 0)
			continue;
		if (r < 0) {
			emit(c, &bg_rule_suppression_invalid, cm->line, 1, "%s; the suppression is not applied",
			     err.message);
			continue;
		}
		const char *unknown = NULL;
		for (size_t j = 0; j < s.rules.n && !unknown; j++)
			if (!bg_lint_rule_find(s.rules.v[j]) || strcmp(s.rules.v[j], "suppression-invalid") == 0 ||
			    strcmp(s.rules.v[j], "parse-error") == 0)
				unknown = s.rules.v[j];
		if (unknown)
			emit(c, &bg_rule_suppression_invalid, cm->line, 1,
			     "'%s' is not a rule that can be suppressed; the suppression is not applied "
			     "(see bootgate lint --list-rules)", unknown);
		else if (!s.reason)
			emit(c, &bg_rule_suppression_invalid, cm->line, 1,
			     "suppression of %s has no reason=\"...\"; it is not applied", s.rules.v[0]);
		else
			for (size_t f = first; f < c->out->n; f++) {
				bg_finding *fd = &c->out->v[f];
				if (fd->suppressed || !bg_strv_contains(&s.rules, fd->rule->id))
					continue;
				fd->suppressed = true;
				fd->suppress_reason = bg_strdup(s.reason);
			}
		bg_suppression_free(&s);
	}
}

/* ---- driver ------------------------------------------------------------- */


static void check_instruction(lint_ctx *c, const bg_instruction *ins, const bg_stage *stage)
{
	const char *k = ins->keyword;
	if (is_keyword(k, "from") && stage)
		check_from(c, ins, stage);
	else if (is_keyword(k, "copy") || is_keyword(k, "add"))
		check_copy_add(c, ins);
	else if (is_keyword(k, "run"))
		check_run(c, ins);
	else if (is_keyword(k, "arg"))
		on_arg(c, ins);
	else if (is_keyword(k, "env"))
		on_env(c, ins);
	else if (is_keyword(k, "workdir"))
		on_workdir(c, ins);
	else if (is_keyword(k, "onbuild") && ins->trigger) {
		c->in_onbuild = true;
		check_instruction(c, ins->trigger, NULL);
		c->in_onbuild = false;
	}
}

static void parse_error(lint_ctx *c, const bg_error *err)
{
	/* The parser's message starts with "name:line: "; the report prints the
	 * place itself. */
	const char *msg = err->message;
	size_t plen = strlen(c->path);
	if (strncmp(msg, c->path, plen) == 0 && msg[plen] == ':') {
		const char *p = msg + plen + 1;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == ':')
			msg = p + 1 + (p[1] == ' ');
	}
	bg_findings_add(c->out, &bg_rule_parse_error, BG_SEV_ERROR, c->path, err->line, 0, "%s", msg);
	if (c->cf && err->line && c->out->n) {
		size_t n = 0;
		const char *text = bg_containerfile_line(c->cf, err->line, &n);
		if (text && n <= 200 && !memchr(text, '\0', n))
			bg_finding_set_snippet(&c->out->v[c->out->n - 1], text, n);
	}
}

int bg_lint_containerfile(const char *path, const char *data, size_t len,
			  const bg_lint_options *opts, bg_findings *out, bg_error *err)
{
	static const bg_lint_options defaults = {0};
	lint_ctx c = {.path = path, .opts = opts ? opts : &defaults, .out = out};
	const bg_lintconfig *cfg = c.opts->config;

	bg_strv args = {0};
	for (size_t i = 0; cfg && i < cfg->n_build_args; i++)
		bg_strv_push(&args, cfg->build_args[i]);
	for (size_t i = 0; i < c.opts->nbuild_args; i++)
		bg_strv_push(&args, c.opts->build_args[i]);
	c.build_args = (const char *const *)args.v;
	c.n_build_args = args.n;
	const char *platform = c.opts->platform ? c.opts->platform
			       : cfg && cfg->platform ? cfg->platform
						      : DEFAULT_PLATFORM;

	bg_containerfile *cf = NULL;
	bg_stages stages = {0};
	bg_error perr = {0};
	int rc = 0;
	if (bg_containerfile_parse(data, len, path, &cf, &perr) != 0) {
		if (perr.status != BG_E_INPUT) {
			rc = bg_error_set(err, perr.status, "%s", perr.message);
			goto done;
		}
		parse_error(&c, &perr);
		goto done;
	}
	c.cf = cf;
	if (bg_containerfile_validate(cf, &perr) != 0 ||
	    bg_stages_resolve(cf, platform, c.build_args, c.n_build_args, &stages, &perr) != 0) {
		if (perr.status == BG_E_USAGE || perr.status == BG_E_NOMEM) {
			rc = bg_error_set(err, perr.status, "%s", perr.message);
			goto done;
		}
		parse_error(&c, &perr);
		goto done;
	}
	c.stages = &stages;

	check_syntax_directive(&c);
	size_t stage_index = 0;
	for (size_t i = 0; i < cf->n; i++) {
		const bg_instruction *ins = &cf->v[i];
		const bg_stage *stage = NULL;
		if (is_keyword(ins->keyword, "from")) {
			stage = stage_index < stages.n ? &stages.v[stage_index] : NULL;
			stage_index++;
			env_clear(&c.env);
			free(c.workdir);
			c.workdir = NULL;
		}
		size_t first = out->n;
		check_instruction(&c, ins, stage);
		apply_suppressions(&c, ins, first);
	}
done:
	if (rc == 0 && c.oom)
		rc = bg_error_set(err, BG_E_NOMEM, "%s: out of memory while linting", path);
	env_clear(&c.env);
	free(c.env.v);
	bg_arena_free(&c.env_strings);
	free(c.workdir);
	free(c.ignore_path);
	free(c.last_stage_ref);
	bg_stages_free(&stages);
	bg_containerfile_free(cf);
	bg_strv_free(&args);
	return rc;
}
