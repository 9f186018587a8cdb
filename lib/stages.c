/* bootgate — build stages resolved as BuildKit's dockerfile2llb does
 * (convert.go toDispatchState, platform.go defaultArgs). */
#include "bootgate/stages.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bootgate/shellword.h"
#include "util.h"

/* The expansion environment: names and values owned here, last one wins. */
typedef struct env_builder {
	bg_shell_var *vars;
	size_t n, cap;
	bg_strv owned;
} env_builder;

static int env_set(env_builder *e, const char *name, const char *value)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		bg_shell_var *v = realloc(e->vars, cap * sizeof *v);
		if (!v)
			return BG_E_NOMEM;
		e->vars = v;
		e->cap = cap;
	}
	if (bg_strv_push(&e->owned, name) < 0)
		return BG_E_NOMEM;
	const char *n = e->owned.v[e->owned.n - 1];
	const char *v = NULL;
	if (value) {
		if (bg_strv_push(&e->owned, value) < 0)
			return BG_E_NOMEM;
		v = e->owned.v[e->owned.n - 1];
	}
	e->vars[e->n++] = (bg_shell_var){n, v};
	return 0;
}

static const char *env_get(const env_builder *e, const char *name)
{
	for (size_t i = e->n; i-- > 0;)
		if (strcmp(e->vars[i].name, name) == 0)
			return e->vars[i].value;
	return NULL;
}

static void env_free(env_builder *e)
{
	free(e->vars);
	bg_strv_free(&e->owned);
}

/* The last build arg given for key, or NULL. */
static const char *build_arg(const char *const *args, size_t n, const char *key, size_t key_len)
{
	const char *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(args[i], key, key_len) == 0 && args[i][key_len] == '=')
			found = args[i] + key_len + 1;
	return found;
}

static int builtin_args(env_builder *e, const char *platform, bg_error *err)
{
	char os[64], arch[64], variant[64] = "";
	const char *s1 = strchr(platform, '/');
	const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	size_t ol = s1 ? (size_t)(s1 - platform) : 0;
	size_t al = s1 ? (s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1)) : 0;
	if (!s1 || ol == 0 || al == 0 || ol >= sizeof os || al >= sizeof arch ||
	    (s2 && (strchr(s2 + 1, '/') || strlen(s2 + 1) >= sizeof variant || !s2[1])))
		return bg_error_set(err, BG_E_USAGE, "platform \"%s\": expected os/arch[/variant], e.g. linux/amd64",
				    platform);
	memcpy(os, platform, ol);
	os[ol] = '\0';
	memcpy(arch, s1 + 1, al);
	arch[al] = '\0';
	if (s2)
		strcpy(variant, s2 + 1);
	/* The build platform is taken to be the target platform. */
	const char *kv[][2] = {
		{"BUILDPLATFORM", platform}, {"BUILDOS", os},       {"BUILDOSVERSION", ""},
		{"BUILDARCH", arch},         {"BUILDVARIANT", variant}, {"TARGETPLATFORM", platform},
		{"TARGETOS", os},            {"TARGETOSVERSION", ""}, {"TARGETARCH", arch},
		{"TARGETVARIANT", variant},  {"TARGETSTAGE", ""},
	};
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		if (env_set(e, kv[i][0], kv[i][1]) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory resolving stages");
	return 0;
}

static int take_list(char ***dst, size_t *n, bg_shell_result *res)
{
	*dst = res->unresolved;
	*n = res->n_unresolved;
	res->unresolved = NULL;
	res->n_unresolved = 0;
	return 0;
}

/* keyword is "from" (checked inline: this runs for every instruction). */
static bool is_from(const char *keyword)
{
	return keyword[0] == 'f' && strcmp(keyword, "from") == 0;
}

/* Expand one FROM word; the error names the file, line and what to fix. */
static int expand(const bg_containerfile *cf, const bg_instruction *ins, const char *what, const char *word,
		  const bg_shell_env *env, bg_shell_result *res, bg_error *err)
{
	bg_error e = {0};
	int rc = bg_shell_expand(word, cf->escape, 0, env, res, &e);
	if (rc == BG_E_NOMEM)
		return bg_error_set(err, rc, "out of memory resolving stages");
	if (rc < 0)
		return bg_error_at(err, rc, ins->start_line, 0, "%s:%u: FROM %s: %s (check quotes and ${...})",
				   cf->name, ins->start_line, what, e.message);
	return 0;
}

int bg_stages_resolve(const bg_containerfile *cf, const char *platform, const char *const *build_args,
		      size_t n_build_args, bg_stages *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n_build_args; i++) {
		const char *eq = strchr(build_args[i], '=');
		if (!eq || eq == build_args[i])
			return bg_error_set(err, BG_E_USAGE, "build arg \"%s\": expected KEY=VALUE", build_args[i]);
	}
	env_builder e = {0};
	int rc = builtin_args(&e, platform ? platform : "", err);
	size_t cap = 0;

	/* Meta ARGs: before the first FROM, each default expanded with the
	 * earlier ones; a build arg replaces the default. */
	size_t i = 0;
	for (; rc == 0 && i < cf->n && !is_from(cf->v[i].keyword); i++) {
		const bg_instruction *ins = &cf->v[i];
		if (strcmp(ins->keyword, "arg") != 0)
			continue;
		for (size_t a = 0; rc == 0 && a < ins->n_args; a++) {
			const char *word = ins->args[a].s, *eq = strchr(word, '=');
			size_t kl = eq ? (size_t)(eq - word) : strlen(word);
			char *key = bg_strndup(word, kl);
			if (!key) {
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory resolving stages");
				break;
			}
			const char *given = build_arg(build_args, n_build_args, word, kl);
			bg_shell_result res = {0};
			const char *value = NULL;
			if (given) {
				value = given;
			} else if (eq) {
				bg_shell_env env = {e.vars, e.n};
				bg_error ee = {0};
				rc = bg_shell_expand(eq + 1, cf->escape, 0, &env, &res, &ee);
				if (rc == BG_E_NOMEM)
					rc = bg_error_set(err, rc, "out of memory resolving stages");
				else if (rc < 0)
					rc = bg_error_at(err, rc, ins->start_line, 0, "%s:%u: ARG %s: %s", cf->name,
							 ins->start_line, key, ee.message);
				value = res.word;
			} else {
				value = env_get(&e, key); /* redeclared: keeps its value */
			}
			if (rc == 0 && env_set(&e, key, value) < 0)
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory resolving stages");
			bg_shell_result_free(&res);
			free(key);
		}
	}

	for (; rc == 0 && i < cf->n; i++) {
		const bg_instruction *ins = &cf->v[i];
		if (!is_from(ins->keyword) || ins->n_args == 0)
			continue;
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			bg_stage *v = realloc(out->v, nc * sizeof *v);
			if (!v) {
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory resolving stages");
				break;
			}
			out->v = v;
			cap = nc;
		}
		bg_stage *st = &out->v[out->n++];
		memset(st, 0, sizeof *st);
		st->from = ins;
		if (ins->n_args >= 3) {
			st->name = bg_strdup(ins->args[2].s);
			for (char *c = st->name; c && *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c + 32);
		}
		bg_shell_env env = {e.vars, e.n};
		bg_shell_result res;
		rc = expand(cf, ins, "image", ins->args[0].s, &env, &res, err);
		if (rc < 0)
			break;
		st->image = BG_TAKE_PTR(res.word);
		take_list(&st->unresolved, &st->n_unresolved, &res);
		bg_shell_result_free(&res);
		const char *plat = bg_containerfile_flag(ins, "platform");
		if (plat) {
			rc = expand(cf, ins, "--platform", plat, &env, &res, err);
			if (rc < 0)
				break;
			st->platform = BG_TAKE_PTR(res.word);
			take_list(&st->platform_unresolved, &st->n_platform_unresolved, &res);
			bg_shell_result_free(&res);
		}
		if ((ins->n_args >= 3 && !st->name) || !st->image) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory resolving stages");
			break;
		}
		/* An earlier stage by exact (lower-case) name wins over an image;
		 * with duplicate names the latest earlier one, as BuildKit's map. */
		st->kind = BG_BASE_IMAGE;
		for (size_t j = out->n - 1; j-- > 0;) {
			if (out->v[j].name && strcmp(out->v[j].name, st->image) == 0) {
				st->kind = BG_BASE_STAGE;
				st->base_stage = j;
				break;
			}
		}
		if (st->kind == BG_BASE_IMAGE && strcmp(st->image, "scratch") == 0)
			st->kind = BG_BASE_SCRATCH;
	}
	env_free(&e);
	return rc;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bg_stages_free(bg_stages *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		bg_stage *s = &st->v[i];
		free(s->name);
		free(s->image);
		free(s->platform);
		free_list(s->unresolved, s->n_unresolved);
		free_list(s->platform_unresolved, s->n_platform_unresolved);
	}
	free(st->v);
	memset(st, 0, sizeof *st);
}

int bg_stages_find(const bg_stages *st, const char *ref, size_t *index, bg_error *err)
{
	/* strconv.Atoi: optional sign, decimal digits. */
	const char *d = ref + (ref[0] == '+' || ref[0] == '-');
	if (*d && strspn(d, "0123456789") == strlen(d)) {
		errno = 0;
		long long v = strtoll(ref, NULL, 10);
		if (errno || v < 0 || (unsigned long long)v >= st->n)
			return bg_error_set(err, BG_E_INPUT,
					    "invalid stage index %s: the Containerfile has %zu stage%s (0 to %zu)", ref,
					    st->n, st->n == 1 ? "" : "s", st->n ? st->n - 1 : 0);
		*index = (size_t)v;
		return 1;
	}
	for (size_t i = st->n; i-- > 0;) {
		if (st->v[i].name && strcasecmp(st->v[i].name, ref) == 0) {
			*index = i;
			return 1;
		}
	}
	return 0;
}
