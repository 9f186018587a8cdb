/* bootgate — audit rules exactly as `auditctl -R FILE` reads them.
 *
 * This is a model of audit-userspace's src/auditctl.c (fileopt, setopt,
 * handle_request) and lib/libaudit.c (audit_rule_fieldpair_data,
 * audit_rule_interfield_comp_data, audit_setup_watch_name), plus the kernel
 * refusals that abort a load (kernel/audit_watch.c, audit_tree.c, EEXIST,
 * ENOENT, EPERM once -e 2 is set).  See reference/audit.md §1.
 *
 * Reading a file: fgets() into a 6144-byte buffer (a longer line is read as
 * several), blank = only spaces, `\ ` and `\\` escapes, split on spaces
 * only, a first token starting with '#' is a comment, and each line is run
 * as `auditctl <tokens>` through getopt_long.  The first refused line stops
 * the load unless -c or -i came before it (they stay set for the rest). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bootgate/auditrules.h"
#include "auditrules_private.h"
#include "util.h"

#define LIST_UNSET (-1)
#define MAX_INPUT_BYTES (16u * 1024u * 1024u)

/* ---- tables ------------------------------------------------------------ */

static const struct {
	const char *name;
	int id;
} lists[] = {
	{ "task", AUDIT_FILTER_TASK },       { "exit", AUDIT_FILTER_EXIT },
	{ "user", AUDIT_FILTER_USER },       { "filesystem", AUDIT_FILTER_FS },
	{ "exclude", AUDIT_FILTER_EXCLUDE }, { "io_uring", AUDIT_FILTER_URING_EXIT },
};

const char *bg_audit_list_name(int id)
{
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (lists[i].id == id)
			return lists[i].name;
	return "?";
}

static int lookup_list(const char *s)
{
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (strcmp(lists[i].name, s) == 0)
			return lists[i].id;
	return LIST_UNSET;
}

/* lib/fieldtab.h names (auid and loginuid are one field). */
static const struct {
	const char *name;
	int id;
} fields[] = {
	{ "pid", AUDIT_PID }, { "uid", AUDIT_UID }, { "euid", AUDIT_EUID },
	{ "suid", AUDIT_SUID }, { "fsuid", AUDIT_FSUID }, { "gid", AUDIT_GID },
	{ "egid", AUDIT_EGID }, { "sgid", AUDIT_SGID }, { "fsgid", AUDIT_FSGID },
	{ "auid", AUDIT_LOGINUID }, { "loginuid", AUDIT_LOGINUID }, { "pers", AUDIT_PERS },
	{ "arch", AUDIT_ARCH }, { "msgtype", AUDIT_MSGTYPE }, { "subj_user", AUDIT_SUBJ_USER },
	{ "subj_role", AUDIT_SUBJ_ROLE }, { "subj_type", AUDIT_SUBJ_TYPE },
	{ "subj_sen", AUDIT_SUBJ_SEN }, { "subj_clr", AUDIT_SUBJ_CLR }, { "ppid", AUDIT_PPID },
	{ "obj_user", AUDIT_OBJ_USER }, { "obj_role", AUDIT_OBJ_ROLE },
	{ "obj_type", AUDIT_OBJ_TYPE }, { "obj_lev_low", AUDIT_OBJ_LEV_LOW },
	{ "obj_lev_high", AUDIT_OBJ_LEV_HIGH }, { "sessionid", AUDIT_SESSIONID },
	{ "devmajor", AUDIT_DEVMAJOR }, { "devminor", AUDIT_DEVMINOR }, { "inode", AUDIT_INODE },
	{ "exit", AUDIT_EXIT }, { "success", AUDIT_SUCCESS }, { "path", AUDIT_WATCH },
	{ "perm", AUDIT_PERM }, { "dir", AUDIT_DIR }, { "filetype", AUDIT_FILETYPE },
	{ "fstype", AUDIT_FSTYPE }, { "obj_uid", AUDIT_OBJ_UID }, { "obj_gid", AUDIT_OBJ_GID },
	{ "field_compare", AUDIT_FIELD_COMPARE }, { "a0", AUDIT_ARG0 }, { "a1", AUDIT_ARG1 },
	{ "a2", AUDIT_ARG2 }, { "a3", AUDIT_ARG3 }, { "key", AUDIT_FILTERKEY },
	{ "exe", AUDIT_EXE }, { "saddr_fam", AUDIT_SADDR_FAM },
};

int bg_audit_field_id(const char *name)
{
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i].name, name) == 0)
			return fields[i].id;
	return -1;
}

const char *bg_audit_field_name(int id)
{
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (fields[i].id == id)
			return fields[i].name; /* "auid" comes before "loginuid" */
	return "?";
}

bool bg_audit_field_is_string(int id)
{
	switch (id) {
	case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE:
	case AUDIT_SUBJ_SEN: case AUDIT_SUBJ_CLR: case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE:
	case AUDIT_OBJ_TYPE: case AUDIT_OBJ_LEV_LOW: case AUDIT_OBJ_LEV_HIGH:
	case AUDIT_WATCH: case AUDIT_DIR: case AUDIT_FILTERKEY: case AUDIT_EXE:
		return true;
	default:
		return false;
	}
}

static const struct {
	const char *name;
	uint32_t mode;
} filetypes[] = {
	{ "file", S_IFREG }, { "dir", S_IFDIR }, { "socket", S_IFSOCK }, { "link", S_IFLNK },
	{ "character", S_IFCHR }, { "block", S_IFBLK }, { "fifo", S_IFIFO },
};

const char *bg_audit_filetype_name(uint32_t mode)
{
	for (size_t i = 0; i < sizeof filetypes / sizeof filetypes[0]; i++)
		if (filetypes[i].mode == mode)
			return filetypes[i].name;
	return NULL;
}

/* lib/fstypetab.h: filesystem magic numbers. */
static const struct {
	const char *name;
	uint32_t magic;
} fstypes[] = {
	{ "debugfs", 0x64626720 }, { "tracefs", 0x74726163 },
	{ "cgroup", 0x27e0eb }, { "cgroup2", 0x63677270 },
};

/* The -C pairs and their AUDIT_COMPARE_* constant (symmetric). */
static const struct {
	int a, b;
	uint32_t cmp;
} compares[] = {
	{ AUDIT_UID, AUDIT_OBJ_UID, AUDIT_COMPARE_UID_TO_OBJ_UID },
	{ AUDIT_GID, AUDIT_OBJ_GID, AUDIT_COMPARE_GID_TO_OBJ_GID },
	{ AUDIT_EUID, AUDIT_OBJ_UID, AUDIT_COMPARE_EUID_TO_OBJ_UID },
	{ AUDIT_EGID, AUDIT_OBJ_GID, AUDIT_COMPARE_EGID_TO_OBJ_GID },
	{ AUDIT_LOGINUID, AUDIT_OBJ_UID, AUDIT_COMPARE_AUID_TO_OBJ_UID },
	{ AUDIT_SUID, AUDIT_OBJ_UID, AUDIT_COMPARE_SUID_TO_OBJ_UID },
	{ AUDIT_SGID, AUDIT_OBJ_GID, AUDIT_COMPARE_SGID_TO_OBJ_GID },
	{ AUDIT_FSUID, AUDIT_OBJ_UID, AUDIT_COMPARE_FSUID_TO_OBJ_UID },
	{ AUDIT_FSGID, AUDIT_OBJ_GID, AUDIT_COMPARE_FSGID_TO_OBJ_GID },
	{ AUDIT_UID, AUDIT_LOGINUID, AUDIT_COMPARE_UID_TO_AUID },
	{ AUDIT_UID, AUDIT_EUID, AUDIT_COMPARE_UID_TO_EUID },
	{ AUDIT_UID, AUDIT_FSUID, AUDIT_COMPARE_UID_TO_FSUID },
	{ AUDIT_UID, AUDIT_SUID, AUDIT_COMPARE_UID_TO_SUID },
	{ AUDIT_LOGINUID, AUDIT_FSUID, AUDIT_COMPARE_AUID_TO_FSUID },
	{ AUDIT_LOGINUID, AUDIT_SUID, AUDIT_COMPARE_AUID_TO_SUID },
	{ AUDIT_LOGINUID, AUDIT_EUID, AUDIT_COMPARE_AUID_TO_EUID },
	{ AUDIT_EUID, AUDIT_SUID, AUDIT_COMPARE_EUID_TO_SUID },
	{ AUDIT_EUID, AUDIT_FSUID, AUDIT_COMPARE_EUID_TO_FSUID },
	{ AUDIT_SUID, AUDIT_FSUID, AUDIT_COMPARE_SUID_TO_FSUID },
	{ AUDIT_GID, AUDIT_EGID, AUDIT_COMPARE_GID_TO_EGID },
	{ AUDIT_GID, AUDIT_FSGID, AUDIT_COMPARE_GID_TO_FSGID },
	{ AUDIT_GID, AUDIT_SGID, AUDIT_COMPARE_GID_TO_SGID },
	{ AUDIT_EGID, AUDIT_FSGID, AUDIT_COMPARE_EGID_TO_FSGID },
	{ AUDIT_EGID, AUDIT_SGID, AUDIT_COMPARE_EGID_TO_SGID },
	{ AUDIT_SGID, AUDIT_FSGID, AUDIT_COMPARE_SGID_TO_FSGID },
};

const char *bg_audit_compare_text(uint32_t cmp, bool ne, char buf[40])
{
	for (size_t i = 0; i < sizeof compares / sizeof compares[0]; i++)
		if (compares[i].cmp == cmp) {
			snprintf(buf, 40, "%s%s%s", bg_audit_field_name(compares[i].a), ne ? "!=" : "=",
				 bg_audit_field_name(compares[i].b));
			return buf;
		}
	snprintf(buf, 40, "field_compare%s%u", ne ? "!=" : "=", (unsigned)cmp);
	return buf;
}

static const char *const op_names[] = { "=", "!=", "<", ">", "<=", ">=", "&", "&=" };

const char *bg_audit_op_name(bg_audit_op op)
{
	return (unsigned)op < 8 ? op_names[op] : "?";
}

/* ---- tokenizer --------------------------------------------------------- */

/* auditctl's postprocess(): 0x07 and 0x04 (left by preprocess for `\ ` and
 * `\\`) each stand for two bytes and become ' ' and '\'. */
static char *postprocess(const char *tok, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		if (tok[i] == 0x07 || tok[i] == 0x04) {
			out[o++] = tok[i] == 0x07 ? ' ' : '\\';
			i += 2; /* auditctl skips the pair (reads past a lone one) */
			continue;
		}
		out[o++] = tok[i++];
	}
	out[o] = '\0';
	return out;
}

/* Tokenise like fileopt(): preprocess, split on ' ', postprocess every
 * token but the first (auditctl forgets the first one), and keep at most
 * strlen/3 + 1 tokens (its fields[] array: more are silently dropped). */
static int tokenize(const char *line, size_t len, char ***argvp, int *argcp, bool auditctl_quirks)
{
	char *buf = bg_strndup(line, len);
	if (!buf)
		return BG_E_NOMEM;
	len = strlen(buf);
	bool esc = false;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\\' && !esc) {
			esc = true;
		} else if (esc) {
			if (buf[i] == ' ')
				buf[i] = buf[i - 1] = 0x07;
			else if (buf[i] == '\\')
				buf[i] = buf[i - 1] = 0x04;
			esc = false;
		}
	}
	size_t nf = len / 3 + 3; /* fields[] slots incl. "auditctl" and NULL */
	size_t cap = 8, n = 0;
	char **argv = calloc(cap, sizeof *argv);
	if (!argv) {
		free(buf);
		return BG_E_NOMEM;
	}
	for (size_t i = 0; i < len;) {
		while (i < len && buf[i] == ' ')
			i++;
		if (i >= len)
			break;
		size_t s = i;
		while (i < len && buf[i] != ' ')
			i++;
		/* fields[0] is "auditctl": tokens go to fields[1 .. nf-2]. */
		if (auditctl_quirks && n + 1 >= nf - 1)
			break;
		if (n + 2 > cap) {
			char **nv = realloc(argv, (cap *= 2) * sizeof *nv);
			if (!nv)
				goto oom;
			argv = nv;
		}
		argv[n] = (n == 0 && auditctl_quirks) ? bg_strndup(buf + s, i - s)
						       : postprocess(buf + s, i - s);
		if (!argv[n])
			goto oom;
		argv[++n] = NULL;
	}
	free(buf);
	*argvp = argv;
	*argcp = (int)n;
	return 0;
oom:
	free(buf);
	bg_auditrules_argv_free(argv);
	return BG_E_NOMEM;
}

int bg_auditrules_tokenize(const char *line, size_t len, char ***argv, int *argc)
{
	return tokenize(line, len, argv, argc, true);
}

void bg_auditrules_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* ---- one line: setopt() ------------------------------------------------ */

typedef struct line_state {
	const bg_audit_context *ctx;
	bg_audit_rule *r;
	int add, del, action;
	int multiple;
	bool exclude;
	bool syscalladded, permadded, exeadded, fsadded;
	uint32_t elf;               /* _audit_elf: 0 until arch= or -S */
	uint32_t mask[AUDIT_BITMASK_SIZE];
	bool any_mask;
	bg_strv names;              /* -S names without a table */
	bg_strbuf key;              /* keys joined with \x01 */
	size_t nkfields;            /* kernel field count (watch fields, -F, -C) */
	char *err;
} line_state;

static int fail(line_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(line_state *st, const char *fmt, ...)
{
	if (!st->err) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&st->err, fmt, ap) < 0)
			st->err = NULL;
		va_end(ap);
		if (!st->err)
			st->err = bg_strdup("refused");
	}
	return -1;
}

static const char *machine_of(const bg_audit_context *ctx)
{
	return ctx && ctx->machine ? ctx->machine : "x86_64";
}

static int push_field(bg_audit_rule *r, const char *name, bg_audit_op op, const char *value)
{
	bg_audit_field *nv = realloc(r->fields, (r->nfields + 1) * sizeof *nv);
	if (!nv)
		return BG_E_NOMEM;
	r->fields = nv;
	bg_audit_field *f = &r->fields[r->nfields];
	memset(f, 0, sizeof *f);
	f->name = bg_strdup(name);
	f->value = bg_strdup(value);
	f->op = op;
	if (!f->name || !f->value) {
		free(f->name);
		free(f->value);
		return BG_E_NOMEM;
	}
	r->nfields++;
	return 0;
}

static void pop_field(bg_audit_rule *r)
{
	bg_audit_field *f = &r->fields[--r->nfields];
	free(f->name);
	free(f->value);
	free(f->sval);
}

/* audit_rule_syscallbyname_data + audit_rule_syscall_data. */
static int add_syscall(line_state *st, const char *name)
{
	if (strcmp(name, "all") == 0) {
		memset(st->mask, 0xff, sizeof st->mask);
		st->any_mask = true;
		return 0;
	}
	int nr = -1;
	bool have_table = bg_audit_syscall_table_known(st->elf);
	if (have_table)
		nr = bg_audit_syscall_number(st->elf, name);
	if (nr < 0 && isdigit((unsigned char)name[0]))
		nr = (int)strtol(name, NULL, 0);
	if (nr < 0 && !have_table)
		/* No table for this arch in this build: keep the name. */
		return bg_strv_push(&st->names, name) < 0 ? BG_E_NOMEM : 0;
	if (nr < 0)
		return -1;
	if (nr / 32 > AUDIT_BITMASK_SIZE - 1)
		return -1;
	st->mask[nr / 32] |= 1u << (nr % 32);
	st->any_mask = true;
	return 0;
}

static int opt_S(line_state *st, const char *arg)
{
	int list = st->add != LIST_UNSET ? st->add : st->del;
	if (list == AUDIT_FILTER_TASK)
		return fail(st, "Error: syscall auditing being added to task list");
	if (list == AUDIT_FILTER_USER)
		return fail(st, "Error: syscall auditing being added to user list");
	if (list == AUDIT_FILTER_FS)
		return fail(st, "Error: syscall auditing being added to filesystem list");
	if (st->exclude)
		return fail(st, "Error: syscall auditing cannot be put on exclude list");
	if (!st->elf) {
		st->elf = bg_audit_arch_id(machine_of(st->ctx), machine_of(st->ctx));
		if (!st->elf)
			return fail(st, "Error detecting machine type (%s)", machine_of(st->ctx));
	}
	/* parse_syscall: a comma list is split with strtok (empty items vanish). */
	char *copy = bg_strdup(arg);
	if (!copy)
		return BG_E_NOMEM;
	char *save = NULL;
	int rc = 0;
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		rc = add_syscall(st, p);
		if (rc == BG_E_NOMEM)
			break;
		if (rc < 0) {
			char buf[16];
			fail(st, "Syscall name unknown: %s (not in the %s syscall table)", p,
			     bg_audit_arch_name(st->elf, machine_of(st->ctx), buf));
			break;
		}
	}
	free(copy);
	if (rc == 0)
		st->syscalladded = true;
	return rc;
}

/* audit_rule_setup(): "list,action" in either order. */
static int rule_setup(line_state *st, const char *opt, int *list)
{
	if (++st->multiple != 1)
		return 3;
	const char *comma = strchr(opt, ',');
	if (!comma || strchr(comma + 1, ','))
		return 2;
	char *first = bg_strndup(opt, (size_t)(comma - opt));
	if (!first)
		return BG_E_NOMEM;
	const char *second = comma + 1;
	int rc = 0;
	int l = lookup_list(first);
	if (l != LIST_UNSET) {
		*list = l;
		if (l == AUDIT_FILTER_EXCLUDE)
			st->exclude = true;
	} else {
		if (strcmp(first, "never") == 0)
			st->action = AUDIT_NEVER;
		else if (strcmp(first, "always") == 0)
			st->action = AUDIT_ALWAYS;
		else
			rc = strcmp(first, "possible") == 0 ? 1 : 2;
	}
	free(first);
	if (rc)
		return rc;
	if (*list == LIST_UNSET) {
		l = lookup_list(second);
		if (l != LIST_UNSET) {
			*list = l;
			if (l == AUDIT_FILTER_EXCLUDE)
				st->exclude = true;
		}
	} else {
		if (strcmp(second, "never") == 0)
			st->action = AUDIT_NEVER;
		else if (strcmp(second, "always") == 0)
			st->action = AUDIT_ALWAYS;
		else
			return strcmp(second, "possible") == 0 ? 1 : 2;
	}
	if (*list == LIST_UNSET || st->action == -1)
		return 2;
	return 0;
}

static int opt_rule(line_state *st, int c, const char *arg)
{
	int rc;
	if ((c == 'a' || c == 'A') && strstr(arg, "task") && st->syscalladded)
		return fail(st, "Syscall auditing requested for task list");
	rc = rule_setup(st, arg, c == 'd' ? &st->del : &st->add);
	if (rc == BG_E_NOMEM)
		return rc;
	const char *what = c == 'a' ? "Append" : c == 'A' ? "Add" : "Delete";
	if (rc == 3)
		return fail(st, "Multiple rule insert/delete operations are not allowed");
	if (rc == 2)
		return fail(st, "%s rule - bad keyword %s", what, arg);
	if (rc == 1)
		return 1; /* "possible is deprecated": the line is eaten */
	if (c == 'A')
		st->r->prepend = true;
	return 0;
}

/* Does the image have this path?  UNKNOWN when the caller cannot tell. */
static bg_audit_path_type path_type(const line_state *st, const char *path)
{
	if (!st->ctx || !st->ctx->path_type)
		return BG_AUDIT_PATH_UNKNOWN;
	/* The kernel's path lookup ignores trailing slashes ("/etc/x/"). */
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	_cleanup_free_ char *p = bg_strndup(path, n);
	if (!p)
		return BG_AUDIT_PATH_UNKNOWN;
	return st->ctx->path_type(st->ctx->ctx, p);
}

/* audit_setup_watch_name() with check_path(). */
static int opt_w(line_state *st, int c, const char *arg)
{
	if (c == 'w' && (st->add != LIST_UNSET || st->del != LIST_UNSET))
		return fail(st, "watch option can't be given with a syscall");
	size_t len = strlen(arg);
	if (len >= PATH_MAX)
		return fail(st, "The path passed for the watch is too big");
	if (arg[0] != '/')
		return fail(st, "The path must start with '/' (%s)", arg);
	/* basename() of "/a/b/" is "b": measure the last non-empty component. */
	size_t blen = 0;
	for (size_t i = len; i > 0; i--) {
		if (arg[i - 1] == '/') {
			if (blen)
				break;
			continue;
		}
		blen++;
	}
	if (blen > NAME_MAX)
		return fail(st, "The base name of the path is too big");
	if (c == 'w')
		st->add = AUDIT_FILTER_EXIT;
	else
		st->del = AUDIT_FILTER_EXIT;
	st->action = AUDIT_ALWAYS;
	st->syscalladded = true;
	char *p = bg_strdup(arg);
	if (!p)
		return BG_E_NOMEM;
	if (len > 2 && p[len - 1] == '/')
		while (len > 1 && p[len - 1] == '/')
			p[--len] = '\0';
	free(st->r->watch_path);
	st->r->watch_path = p;
	st->r->kind = c == 'w' ? BG_AUDIT_WATCH : BG_AUDIT_UNWATCH;
	st->nkfields = 2; /* path|dir and perm (audit_add_watch_dir) */
	st->permadded = true;
	return 0;
}

static int parse_perm(const char *v, uint32_t *out)
{
	uint32_t val = 0;
	if (strlen(v) > 4)
		return -1;
	for (const char *p = v; *p; p++) {
		switch (tolower((unsigned char)*p)) {
		case 'r': val |= AUDIT_PERM_READ; break;
		case 'w': val |= AUDIT_PERM_WRITE; break;
		case 'x': val |= AUDIT_PERM_EXEC; break;
		case 'a': val |= AUDIT_PERM_ATTR; break;
		default: return -(int)(unsigned char)*p - 1;
		}
	}
	*out = val;
	return 0;
}

/* -p: audit_setup_perms + audit_update_watch_perms. */
static int opt_p(line_state *st, const char *arg)
{
	uint32_t val;
	int rc = parse_perm(arg, &val);
	if (rc == -1)
		return fail(st, "Permission %s is too long (at most 4 of rwxa)", arg);
	if (rc < 0)
		return fail(st, "Permission %c isn't supported", (char)(-rc - 1));
	bg_audit_rule *r = st->r;
	if (r->kind == BG_AUDIT_WATCH || r->kind == BG_AUDIT_UNWATCH) {
		free(r->perm);
		r->perm = bg_strdup(arg);
		st->permadded = true;
		return r->perm ? 0 : BG_E_NOMEM;
	}
	if (st->nkfields < 1)
		return fail(st, "permission option needs a watch given prior to it");
	bool done = false;
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].name, "perm") == 0) {
			free(r->fields[i].value);
			r->fields[i].value = bg_strdup(arg);
			if (!r->fields[i].value)
				return BG_E_NOMEM;
			r->fields[i].num = val;
			done = true;
		}
	if (!done) {
		if (st->nkfields >= AUDIT_MAX_FIELDS - 1)
			return fail(st, "Too many fields in the rule");
		if (push_field(r, "perm", BG_AUDIT_OP_EQ, arg) < 0)
			return BG_E_NOMEM;
		r->fields[r->nfields - 1].num = val;
		st->nkfields++;
	}
	st->permadded = true;
	return 0;
}

/* Keys: -k and -F key= (process_keys in setopt). */
static int add_key(line_state *st, const char *k)
{
	size_t cur = st->key.len;
	if (strlen(k) + cur + (cur ? 1 : 0) > AUDIT_MAX_KEY_LEN)
		return fail(st, "key option exceeds size limit (%d bytes for all keys of a rule)",
			    AUDIT_MAX_KEY_LEN);
	if (strchr(k, AUDIT_KEY_SEPARATOR))
		return fail(st, "key %s has illegal character", k);
	if (cur)
		bg_strbuf_putc(&st->key, AUDIT_KEY_SEPARATOR);
	bg_strbuf_puts(&st->key, k);
	if (st->key.oom)
		return BG_E_NOMEM;
	char **nv = realloc(st->r->keys, (st->r->nkeys + 1) * sizeof *nv);
	if (!nv)
		return BG_E_NOMEM;
	st->r->keys = nv;
	if (!(nv[st->r->nkeys] = bg_strdup(k)))
		return BG_E_NOMEM;
	st->r->nkeys++;
	return 0;
}

static int lookup_id(line_state *st, bool user, const char *v, uint32_t *out, bool *unresolved)
{
	const bg_audit_context *c = st->ctx;
	int (*fn)(void *, const char *, uint32_t *) = c ? (user ? c->user_id : c->group_id) : NULL;
	if (!fn) {
		*unresolved = true; /* compared by name */
		*out = 0;
		return 0;
	}
	if (fn(c->ctx, v, out) != 0)
		return fail(st, "Unknown %s: %s (not in the image's %s)", user ? "user" : "group", v,
			    user ? "passwd" : "group");
	return 0;
}

static const char *const eau_exitonly = "can only be used with the exit filter list";

/* audit_rule_fieldpair_data() for one -F (not key=). */
static int field_pair(line_state *st, const char *pair, int list)
{
	static const struct {
		const char *s;
		bg_audit_op op;
	} ops[] = {
		{ "!=", BG_AUDIT_OP_NE }, { ">=", BG_AUDIT_OP_GE }, { "<=", BG_AUDIT_OP_LE },
		{ "&=", BG_AUDIT_OP_BITTEST }, { "=", BG_AUDIT_OP_EQ }, { ">", BG_AUDIT_OP_GT },
		{ "<", BG_AUDIT_OP_LT }, { "&", BG_AUDIT_OP_BITMASK },
	};
	if (st->nkfields >= AUDIT_MAX_FIELDS - 1)
		return fail(st, "Too many fields in the rule (at most %d)", AUDIT_MAX_FIELDS - 1);
	const char *at = NULL;
	bg_audit_op op = BG_AUDIT_OP_EQ;
	size_t oplen = 0;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0] && !at; i++)
		if ((at = strstr(pair, ops[i].s))) {
			op = ops[i].op;
			oplen = strlen(ops[i].s);
		}
	if (!at)
		return fail(st, "-F %s: the operator is missing (= != < > <= >= & &=)", pair);
	_cleanup_free_ char *name = bg_strndup(pair, (size_t)(at - pair));
	if (!name)
		return BG_E_NOMEM;
	const char *v = at + oplen;
	if (!*name)
		return fail(st, "-F %s: the field name is missing", pair);
	if (!*v)
		return fail(st, "-F %s: the value is missing", pair);
	int id = bg_audit_field_id(name);
	if (id < 0)
		return fail(st, "-F %s: unknown field %s", pair, name);
	if (list == AUDIT_FILTER_EXCLUDE) {
		switch (id) {
		case AUDIT_PID: case AUDIT_UID: case AUDIT_GID: case AUDIT_LOGINUID:
		case AUDIT_MSGTYPE: case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE:
		case AUDIT_SUBJ_TYPE: case AUDIT_SUBJ_SEN: case AUDIT_SUBJ_CLR: case AUDIT_EXE:
			break;
		default:
			return fail(st, "-F %s: only msgtype, pid, uid, gid, auid, exe and subj_* "
				    "can be used on the exclude list", pair);
		}
	}
	if (push_field(st->r, bg_audit_field_name(id), op, v) < 0)
		return BG_E_NOMEM;
	bg_audit_field *f = &st->r->fields[st->r->nfields - 1];
	bool digit = isdigit((unsigned char)v[0]);
	bool negative = strlen(v) >= 2 && v[0] == '-' && isdigit((unsigned char)v[1]);
	int rc = 0;
	switch (id) {
	case AUDIT_UID: case AUDIT_EUID: case AUDIT_SUID: case AUDIT_FSUID:
	case AUDIT_LOGINUID: case AUDIT_OBJ_UID:
		if (digit)
			f->num = (uint32_t)strtoul(v, NULL, 0);
		else if (negative)
			f->num = (uint32_t)strtol(v, NULL, 0);
		else if (strcmp(v, "unset") == 0)
			f->num = 4294967295u;
		else
			rc = lookup_id(st, true, v, &f->num, &f->unresolved);
		break;
	case AUDIT_GID: case AUDIT_EGID: case AUDIT_SGID: case AUDIT_FSGID: case AUDIT_OBJ_GID:
		if (digit)
			f->num = (uint32_t)strtol(v, NULL, 0);
		else
			rc = lookup_id(st, false, v, &f->num, &f->unresolved);
		break;
	case AUDIT_EXIT:
		if (list != AUDIT_FILTER_EXIT)
			rc = fail(st, "-F %s: exit %s", pair, eau_exitonly);
		else if (digit || negative)
			f->num = (uint32_t)strtol(v, NULL, 0);
		else {
			/* audit_name_to_errno: "EACCES" → +13, "-EACCES" → -13. */
			int e = bg_audit_errno_number(v[0] == '-' ? v + 1 : v);
			if (e <= 0)
				rc = fail(st, "-F %s: unknown errno name %s", pair, v);
			else
				f->num = (uint32_t)(v[0] == '-' ? -e : e);
		}
		break;
	case AUDIT_MSGTYPE:
		if (list != AUDIT_FILTER_EXCLUDE && list != AUDIT_FILTER_USER)
			rc = fail(st, "-F %s: msgtype can only be used with the user or exclude list",
				  pair);
		else if (digit)
			f->num = (uint32_t)strtol(v, NULL, 0);
		else {
			int t = bg_audit_msgtype_number(v);
			if (t <= 0)
				rc = fail(st, "-F %s: unknown message type %s", pair, v);
			else
				f->num = (uint32_t)t;
		}
		break;
	case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE: case AUDIT_OBJ_TYPE:
	case AUDIT_OBJ_LEV_LOW: case AUDIT_OBJ_LEV_HIGH: case AUDIT_WATCH: case AUDIT_DIR:
		if (list != AUDIT_FILTER_EXIT) {
			rc = fail(st, "-F %s: %s %s", pair, name, eau_exitonly);
			break;
		}
		if (id == AUDIT_WATCH || id == AUDIT_DIR)
			st->permadded = true;
		/* fallthrough */
	case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE:
	case AUDIT_SUBJ_SEN: case AUDIT_SUBJ_CLR: case AUDIT_EXE:
		if (id == AUDIT_EXE) {
			if (op != BG_AUDIT_OP_EQ && op != BG_AUDIT_OP_NE) {
				rc = fail(st, "-F %s: exe only takes = or !=", pair);
				break;
			}
			st->exeadded = true;
		}
		if (strlen(v) > PATH_MAX) {
			rc = fail(st, "-F %s: the value is longer than %d bytes", name, PATH_MAX);
			break;
		}
		f->is_string = true;
		if (!(f->sval = bg_strdup(v)))
			rc = BG_E_NOMEM;
		break;
	case AUDIT_ARCH: {
		if (st->syscalladded) {
			rc = fail(st, "-F %s: arch must be before -S (auditctl: \"must be before -S\")",
				  pair);
			break;
		}
		if (op != BG_AUDIT_OP_EQ && op != BG_AUDIT_OP_NE) {
			rc = fail(st, "-F %s: arch only takes = or !=", pair);
			break;
		}
		uint32_t elf = 0;
		char buf[16];
		if (digit) {
			errno = 0;
			unsigned long e = strtoul(v, NULL, 0);
			/* A valid mapping: one of the known machines' ids. */
			if (!errno && bg_audit_arch_name((uint32_t)e, NULL, buf) &&
			    bg_audit_arch_known((uint32_t)e))
				elf = (uint32_t)e;
		} else {
			elf = bg_audit_arch_id(v, machine_of(st->ctx));
		}
		if (!elf) {
			rc = fail(st, "-F %s: unknown or unsupported arch for a %s image", pair,
				  machine_of(st->ctx));
			break;
		}
		st->elf = elf;
		f->num = elf;
		free(st->r->arch);
		if (!(st->r->arch = bg_strdup(v)))
			rc = BG_E_NOMEM;
		st->r->arch_id = elf;
		break;
	}
	case AUDIT_PERM: {
		if (list != AUDIT_FILTER_EXIT) {
			rc = fail(st, "-F %s: perm %s", pair, eau_exitonly);
			break;
		}
		if (op != BG_AUDIT_OP_EQ) {
			rc = fail(st, "-F %s: perm only takes =", pair);
			break;
		}
		int p = parse_perm(v, &f->num);
		if (p == -1)
			rc = fail(st, "-F %s: at most 4 permission letters (rwxa)", pair);
		else if (p < 0)
			rc = fail(st, "-F %s: permission %c isn't supported (rwxa)", pair, (char)(-p - 1));
		else
			st->permadded = true;
		break;
	}
	case AUDIT_FILETYPE: {
		if (list != AUDIT_FILTER_EXIT) {
			rc = fail(st, "-F %s: filetype %s", pair, eau_exitonly);
			break;
		}
		bool found = false;
		for (size_t i = 0; i < sizeof filetypes / sizeof filetypes[0]; i++)
			if (strcmp(filetypes[i].name, v) == 0) {
				f->num = filetypes[i].mode;
				found = true;
			}
		if (!found)
			rc = fail(st, "-F %s: unknown file type (file dir socket link character "
				  "block fifo)", pair);
		break;
	}
	case AUDIT_FSTYPE: {
		if (list != AUDIT_FILTER_FS) {
			rc = fail(st, "-F %s: fstype can only be used with the filesystem list", pair);
			break;
		}
		if (op != BG_AUDIT_OP_EQ && op != BG_AUDIT_OP_NE) {
			rc = fail(st, "-F %s: fstype only takes = or !=", pair);
			break;
		}
		bool found = digit;
		if (digit)
			f->num = (uint32_t)strtoul(v, NULL, 0);
		for (size_t i = 0; !digit && i < sizeof fstypes / sizeof fstypes[0]; i++)
			if (strcmp(fstypes[i].name, v) == 0) {
				f->num = fstypes[i].magic;
				found = true;
			}
		if (!found)
			rc = fail(st, "-F %s: unknown filesystem type", pair);
		else
			st->fsadded = true;
		break;
	}
	case AUDIT_ARG0: case AUDIT_ARG1: case AUDIT_ARG2: case AUDIT_ARG3:
		if (digit)
			f->num = (uint32_t)strtoul(v, NULL, 0);
		else if (negative)
			f->num = (uint32_t)strtol(v, NULL, 0);
		else
			rc = fail(st, "-F %s: the value must be a number", pair);
		break;
	case AUDIT_SESSIONID:
		if (list != AUDIT_FILTER_EXCLUDE && list != AUDIT_FILTER_USER &&
		    list != AUDIT_FILTER_EXIT)
			rc = fail(st, "-F %s: sessionid only on the exit, user or exclude list", pair);
		else if (digit)
			f->num = (uint32_t)strtoul(v, NULL, 0);
		else if (negative)
			f->num = (uint32_t)strtol(v, NULL, 0);
		else if (strcmp(v, "unset") == 0)
			f->num = 4294967295u;
		else
			f->num = 0; /* auditctl stores 0 for anything else */
		break;
	case AUDIT_SADDR_FAM:
		if (!digit)
			rc = fail(st, "-F %s: the value must be a number", pair);
		else if ((f->num = (uint32_t)strtoul(v, NULL, 0)) >= AF_MAX)
			rc = fail(st, "-F %s: address family must be below %d", pair, AF_MAX);
		break;
	case AUDIT_DEVMAJOR: case AUDIT_DEVMINOR: case AUDIT_INODE: case AUDIT_SUCCESS:
		if (list != AUDIT_FILTER_EXIT) {
			rc = fail(st, "-F %s: %s %s", pair, name, eau_exitonly);
			break;
		}
		/* fallthrough */
	default:
		if (id == AUDIT_INODE && op != BG_AUDIT_OP_EQ && op != BG_AUDIT_OP_NE) {
			rc = fail(st, "-F %s: inode only takes = or !=", pair);
			break;
		}
		if (id == AUDIT_PPID && list != AUDIT_FILTER_EXIT) {
			rc = fail(st, "-F %s: ppid %s", pair, eau_exitonly);
			break;
		}
		if (!digit) {
			rc = fail(st, "-F %s: the value must be a number", pair);
			break;
		}
		f->num = id == AUDIT_INODE ? (uint32_t)strtoul(v, NULL, 0)
					   : (uint32_t)strtol(v, NULL, 0);
		break;
	}
	if (rc < 0) {
		pop_field(st->r);
		return rc;
	}
	st->nkfields++;
	return 0;
}

/* audit_rule_interfield_comp_data() for -C. */
static int opt_C(line_state *st, const char *pair, int list)
{
	if (st->nkfields >= AUDIT_MAX_FIELDS - 1)
		return fail(st, "Too many fields in the rule (at most %d)", AUDIT_MAX_FIELDS - 1);
	const char *at = strstr(pair, "!=");
	bool ne = at != NULL;
	if (!at)
		at = strchr(pair, '=');
	if (!at)
		return fail(st, "-C %s: the operator must be = or !=", pair);
	_cleanup_free_ char *a = bg_strndup(pair, (size_t)(at - pair));
	if (!a)
		return BG_E_NOMEM;
	const char *b = at + (ne ? 2 : 1);
	if (!*a)
		return fail(st, "-C %s: the first field name is missing", pair);
	if (!*b)
		return fail(st, "-C %s: the second field name is missing", pair);
	int fa = bg_audit_field_id(a), fb = bg_audit_field_id(b);
	if (fa < 0)
		return fail(st, "-C %s: unknown field %s", pair, a);
	if (fb < 0)
		return fail(st, "-C %s: unknown field %s", pair, b);
	if (list != AUDIT_FILTER_EXIT)
		return fail(st, "-C %s: field comparison %s", pair, eau_exitonly);
	uint32_t cmp = 0;
	for (size_t i = 0; i < sizeof compares / sizeof compares[0]; i++)
		if ((compares[i].a == fa && compares[i].b == fb) ||
		    (compares[i].a == fb && compares[i].b == fa))
			cmp = compares[i].cmp;
	if (!cmp)
		return fail(st, "-C %s: %s and %s cannot be compared (both uids or both gids, "
			    "different fields)", pair, a, b);
	if (push_field(st->r, "field_compare", ne ? BG_AUDIT_OP_NE : BG_AUDIT_OP_EQ, pair) < 0)
		return BG_E_NOMEM;
	st->r->fields[st->r->nfields - 1].num = cmp;
	st->nkfields++;
	return 0;
}

/* The short options of auditctl: "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:". */
static bool short_takes_arg(int c, bool *known)
{
	static const char optstring[] = "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:";
	const char *p = c ? strchr(optstring, c) : NULL;
	*known = p && c != ':';
	return *known && p[1] == ':';
}

static const struct {
	const char *name;
	bool has_arg;
	bg_audit_control ctl;
} long_opts[] = {
	{ "loginuid-immutable", false, BG_AUDIT_CTL_LOGINUID_IMMUTABLE },
	{ "backlog_wait_time", true, BG_AUDIT_CTL_BACKLOG_WAIT },
	{ "reset-lost", false, BG_AUDIT_CTL_RESET_LOST },
	{ "signal", true, BG_AUDIT_CTL_RUNTIME },
	{ "reset_backlog_wait_time_actual", false, BG_AUDIT_CTL_RESET_BACKLOG_WAIT_ACTUAL },
};

typedef struct parsed_opt {
	int c;            /* short option char, or 1000 + long index, or '?' */
	const char *arg;
	char *bad;        /* what was wrong for '?' */
} parsed_opt;

/* GNU getopt_long with permutation: options in order, non-options set
 * aside.  Returns the options and the count of non-option arguments. */
static int getopt_all(int argc, char *const *argv, parsed_opt **out, size_t *nout,
		      size_t *nonopts)
{
	/* At most one option per byte of the arguments (clustered -abc). */
	size_t cap = 1;
	for (int i = 0; i < argc; i++)
		cap += strlen(argv[i]) + 1;
	parsed_opt *v = calloc(cap, sizeof *v);
	size_t n = 0;
	if (!v)
		return BG_E_NOMEM;
	*nonopts = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			*nonopts += (size_t)(argc - i - 1);
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			(*nonopts)++;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			size_t nl = strcspn(name, "=");
			int match = -1, nmatch = 0;
			for (size_t k = 0; k < sizeof long_opts / sizeof long_opts[0]; k++) {
				if (strlen(long_opts[k].name) == nl &&
				    strncmp(long_opts[k].name, name, nl) == 0) {
					match = (int)k;
					nmatch = 1;
					break;
				}
				if (strncmp(long_opts[k].name, name, nl) == 0) {
					match = (int)k;
					nmatch++;
				}
			}
			if (nmatch != 1) {
				v[n].c = '?';
				if (asprintf(&v[n].bad, "unrecognized option %s", a) < 0)
					v[n].bad = NULL;
				n++;
				continue;
			}
			v[n].c = 1000 + match;
			if (long_opts[match].has_arg) {
				if (name[nl] == '=')
					v[n].arg = name + nl + 1;
				else if (i + 1 < argc)
					v[n].arg = argv[++i];
				else {
					v[n].c = '?';
					if (asprintf(&v[n].bad, "option %s requires an argument", a) < 0)
						v[n].bad = NULL;
				}
			} else if (name[nl] == '=') {
				v[n].c = '?';
				if (asprintf(&v[n].bad, "option --%s doesn't allow an argument",
					     long_opts[match].name) < 0)
					v[n].bad = NULL;
			}
			n++;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			bool known;
			bool takes = short_takes_arg(*p, &known);
			if (!known) {
				v[n].c = '?';
				if (asprintf(&v[n].bad, "unknown option -%c", *p) < 0)
					v[n].bad = NULL;
				n++;
				continue;
			}
			v[n].c = *p;
			if (takes) {
				if (p[1])
					v[n].arg = p + 1;
				else if (i + 1 < argc)
					v[n].arg = argv[++i];
				else {
					v[n].c = '?';
					if (asprintf(&v[n].bad, "option -%c requires an argument", *p) < 0)
						v[n].bad = NULL;
				}
				n++;
				break;
			}
			n++;
		}
	}
	*out = v;
	*nout = n;
	return 0;
}

static void set_control(bg_audit_rule *r, bg_audit_control ctl, const char *value)
{
	if (r->control != BG_AUDIT_CTL_NONE)
		return; /* the first control of a line names it */
	r->kind = BG_AUDIT_CONTROL;
	r->control = ctl;
	free(r->control_value);
	r->control_value = value ? bg_strdup(value) : NULL;
}

/* setopt() + handle_request() for one line, without the kernel.  Returns 0
 * (st->err set when refused), 1 when auditctl eats the line (deprecated
 * "possible"), or BG_E_NOMEM. */
static int run_line(line_state *st, int argc, char *const *argv)
{
	bg_audit_rule *r = st->r;
	parsed_opt *opts = NULL;
	size_t nopts = 0, nonopts = 0;
	int rc = getopt_all(argc, argv, &opts, &nopts, &nonopts);
	if (rc < 0)
		return rc;
	int count = argc + 1; /* auditctl counts its own name */
	bool stop = false;    /* retval -2: success, no more options */
	size_t consumed_extra = 0;
	int ret = 0;

	size_t stop_at = 0;
	for (size_t i = 0; i < nopts && !st->err && !stop; i++) {
		stop_at = i;
		int c = opts[i].c;
		const char *arg = opts[i].arg;
		int list = st->add != LIST_UNSET ? st->add : st->del;
		switch (c) {
		case '?':
			fail(st, "%s", opts[i].bad ? opts[i].bad : "invalid option");
			break;
		case 'h':
			fail(st, "-h (help) is not a rule");
			break;
		case 'i':
			set_control(r, BG_AUDIT_CTL_IGNORE, NULL);
			stop = true;
			break;
		case 'c':
			set_control(r, BG_AUDIT_CTL_CONTINUE, NULL);
			stop = true;
			break;
		case 's': case 'l': case 'v': case 't': case 'm': case 'q':
			set_control(r, BG_AUDIT_CTL_RUNTIME, NULL);
			stop = true; /* status/list/version…: nothing to load */
			break;
		case 'e': case 'f':
			if (strcmp(arg, "0") && strcmp(arg, "1") && strcmp(arg, "2")) {
				fail(st, "%s must be 0, 1, or 2 was %s", c == 'e' ? "Enable" : "Failure",
				     arg);
				break;
			}
			set_control(r, c == 'e' ? BG_AUDIT_CTL_ENABLE : BG_AUDIT_CTL_FAILURE, arg);
			break;
		case 'r': case 'b': case 1001: {
			const char *what = c == 'r' ? "Rate" : c == 'b' ? "Backlog" : "Backlog_wait_time";
			if (!isdigit((unsigned char)arg[0])) {
				fail(st, "%s must be a numeric value was %s", what, arg);
				break;
			}
			errno = 0;
			(void)strtoul(arg, NULL, 0);
			if (errno) {
				fail(st, "Error converting %s %s", what, arg);
				break;
			}
			set_control(r, c == 'r' ? BG_AUDIT_CTL_RATE
				       : c == 'b' ? BG_AUDIT_CTL_BACKLOG : BG_AUDIT_CTL_BACKLOG_WAIT, arg);
			break;
		}
		case 1000:
			set_control(r, BG_AUDIT_CTL_LOGINUID_IMMUTABLE, NULL);
			stop = true;
			break;
		case 1002:
			set_control(r, BG_AUDIT_CTL_RESET_LOST, NULL);
			stop = true;
			break;
		case 1003:
			set_control(r, BG_AUDIT_CTL_RUNTIME, arg);
			break;
		case 1004:
			set_control(r, BG_AUDIT_CTL_RESET_BACKLOG_WAIT_ACTUAL, NULL);
			stop = true;
			break;
		case 'R':
			fail(st, "Error - nested rule files not supported");
			break;
		case 'D':
			if (count > 4 || count == 3) {
				fail(st, "Wrong number of options for Delete all request (-D, or -D -k KEY)");
				break;
			}
			if (count == 4) {
				if (strcmp(argv[1], "-k") != 0) {
					fail(st, "Only the -k option is allowed with -D");
					break;
				}
				if (add_key(st, argv[2]) < 0)
					break;
				consumed_extra = 2;
			}
			set_control(r, BG_AUDIT_CTL_DELETE_ALL, count == 4 ? argv[2] : NULL);
			stop = true;
			break;
		case 'a': case 'A': case 'd':
			if (opt_rule(st, c, arg) == 1) {
				ret = 1;
				stop = true;
			}
			if (!st->err && r->kind == BG_AUDIT_BLANK)
				r->kind = c == 'd' ? BG_AUDIT_DELETE : BG_AUDIT_SYSCALL;
			break;
		case 'S':
			if (opt_S(st, arg) == BG_E_NOMEM)
				ret = BG_E_NOMEM;
			break;
		case 'F':
			if (list == LIST_UNSET) {
				fail(st, "List must be given before field (-F %s)", arg);
				break;
			}
			if (strncmp(arg, "key=", 4) == 0) {
				if (add_key(st, arg + 4) == BG_E_NOMEM)
					ret = BG_E_NOMEM;
				break;
			}
			if (field_pair(st, arg, list) == BG_E_NOMEM)
				ret = BG_E_NOMEM;
			break;
		case 'C':
			if (opt_C(st, arg, list) == BG_E_NOMEM)
				ret = BG_E_NOMEM;
			break;
		case 'w': case 'W':
			if (opt_w(st, c, arg) == BG_E_NOMEM)
				ret = BG_E_NOMEM;
			break;
		case 'k':
			if (!(st->syscalladded || st->permadded || st->exeadded || st->fsadded) ||
			    list == LIST_UNSET) {
				fail(st, "key option needs a watch or syscall given prior to it");
				break;
			}
			if (add_key(st, arg) == BG_E_NOMEM)
				ret = BG_E_NOMEM;
			break;
		case 'p':
			if (opt_p(st, arg) == BG_E_NOMEM)
				ret = BG_E_NOMEM;
			break;
		default:
			fail(st, "invalid option");
			break;
		}
		if (ret == BG_E_NOMEM)
			break;
	}
	for (size_t i = 0; i < nopts; i++)
		free(opts[i].bad);
	free(opts);
	if (ret < 0 || ret == 1)
		return ret;

	/* "catch extra args": anything not an option (a trailing comment, a
	 * quoted word, a tab-joined token …).  -D -k KEY uses its two. */
	if (!st->err && nopts == 0)
		fail(st, "no option given (%s)", argc ? argv[0] : "");
	else if (!st->err && !stop && nonopts > 0)
		fail(st, "parameter passed without an option given (auditctl has no trailing "
			 "comments or quotes)");
	else if (!st->err && stop && !consumed_extra && (stop_at + 1 < nopts || nonopts > 0))
		/* -c, -i, -D …: auditctl stops reading options there, and
		 * anything after them is an extra parameter. */
		fail(st, "parameter passed without an option given (nothing may follow -c, -i, "
			 "-D, -s, -l or --loginuid-immutable on a line)");

	/* The key is added last, as a field, with its dependency check. */
	if (!st->err && st->key.len && r->control != BG_AUDIT_CTL_DELETE_ALL) {
		if (!(st->syscalladded || st->permadded || st->exeadded || st->fsadded))
			fail(st, "key needs a syscall, watch, path/dir/perm, exe or fstype on the "
				 "same line (add -S all)");
		else if (st->nkfields >= AUDIT_MAX_FIELDS - 1)
			fail(st, "Too many fields in the rule (at most %d)", AUDIT_MAX_FIELDS - 1);
	}

	/* handle_request(). */
	if (!st->err && r->kind == BG_AUDIT_BLANK && !r->control) {
		if (st->syscalladded)
			fail(st, "Error - no list specified (-a LIST,ACTION)");
	}
	if (st->err)
		return 0;
	if (r->kind == BG_AUDIT_SYSCALL || r->kind == BG_AUDIT_DELETE ||
	    r->kind == BG_AUDIT_WATCH || r->kind == BG_AUDIT_UNWATCH) {
		int list = st->add != LIST_UNSET ? st->add : st->del;
		if (!(r->list = bg_strdup(bg_audit_list_name(list))) ||
		    !(r->action = bg_strdup(st->action == AUDIT_NEVER ? "never" : "always")))
			return BG_E_NOMEM;
		/* No -S on a non-task list: all syscalls. */
		if (list != AUDIT_FILTER_TASK && !st->syscalladded) {
			memset(st->mask, 0xff, sizeof st->mask);
			st->any_mask = true;
		}
		bool all = true;
		for (size_t w = 0; w < AUDIT_BITMASK_SIZE; w++)
			if (st->mask[w] != 0xffffffffu)
				all = false;
		if (r->kind == BG_AUDIT_WATCH || r->kind == BG_AUDIT_UNWATCH)
			all = all || !st->any_mask;
		r->all_syscalls = all || list == AUDIT_FILTER_TASK || list == AUDIT_FILTER_USER ||
				  list == AUDIT_FILTER_EXCLUDE || list == AUDIT_FILTER_FS;
		if (!r->all_syscalls) {
			size_t n = 0;
			for (int nr = 0; nr < AUDIT_BITMASK_SIZE * 32; nr++)
				if (st->mask[nr / 32] & (1u << (nr % 32)))
					n++;
			if (n && !(r->syscalls = malloc(n * sizeof *r->syscalls)))
				return BG_E_NOMEM;
			for (int nr = 0; nr < AUDIT_BITMASK_SIZE * 32; nr++)
				if (st->mask[nr / 32] & (1u << (nr % 32)))
					r->syscalls[r->nsyscalls++] = nr;
		}
		if (st->names.n) {
			r->syscall_names = BG_TAKE_PTR(st->names.v);
			r->nsyscall_names = st->names.n;
			st->names.n = st->names.cap = 0;
			/* Stable order for comparison. */
			qsort(r->syscall_names, r->nsyscall_names, sizeof(char *), bg_audit_strcmp_p);
		}
	}
	return 0;
}

int bg_audit_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The kernel's checks on string fields (audit_to_watch, audit_make_tree):
 * run once the rule is complete. */
static void kernel_checks(line_state *st)
{
	bg_audit_rule *r = st->r;
	if (st->err)
		return;
	if (r->kind == BG_AUDIT_WATCH || r->kind == BG_AUDIT_UNWATCH) {
		const char *p = r->watch_path;
		bg_audit_path_type t = path_type(st, p);
		if (t == BG_AUDIT_PATH_DIR)
			return;
		/* A path= watch needs its parent directory. */
		const char *slash = strrchr(p, '/');
		_cleanup_free_ char *parent = bg_strndup(p, slash && slash != p ? (size_t)(slash - p) : 1);
		if (parent && path_type(st, parent) == BG_AUDIT_PATH_MISSING)
			fail(st, "the kernel refuses the watch on %s: its parent directory %s does not "
				 "exist in the image (ENOENT)", p, parent);
		else if (parent && path_type(st, parent) == BG_AUDIT_PATH_OTHER)
			fail(st, "the kernel refuses the watch on %s: %s is not a directory", p, parent);
		return;
	}
	if (r->kind != BG_AUDIT_SYSCALL && r->kind != BG_AUDIT_DELETE)
		return;
	int watches = 0;
	for (size_t i = 0; i < r->nfields && !st->err; i++) {
		const bg_audit_field *f = &r->fields[i];
		bool is_path = strcmp(f->name, "path") == 0, is_dir = strcmp(f->name, "dir") == 0;
		if (!is_path && !is_dir)
			continue;
		size_t len = strlen(f->sval);
		if (++watches > 1)
			fail(st, "the kernel refuses more than one path=/dir= in a rule (EINVAL)");
		else if (f->sval[0] != '/')
			fail(st, "the kernel refuses %s=%s: it must be an absolute path (EINVAL)", f->name,
			     f->sval);
		else if (f->op != BG_AUDIT_OP_EQ)
			fail(st, "the kernel refuses %s with operator %s: only = (EINVAL)", f->name,
			     bg_audit_op_name(f->op));
		else if (is_path && f->sval[len - 1] == '/')
			fail(st, "the kernel refuses path=%s: a path= watch must not end in '/' "
				 "(EINVAL; use dir= for a directory tree)", f->sval);
		else if (r->kind == BG_AUDIT_SYSCALL && is_dir &&
			 path_type(st, f->sval) == BG_AUDIT_PATH_MISSING)
			fail(st, "the kernel refuses dir=%s: the directory does not exist in the image "
				 "(ENOENT)", f->sval);
		else if (r->kind == BG_AUDIT_SYSCALL && is_dir &&
			 path_type(st, f->sval) == BG_AUDIT_PATH_OTHER)
			fail(st, "the kernel refuses dir=%s: not a directory in the image (ENOTDIR)",
			     f->sval);
		else if (r->kind == BG_AUDIT_SYSCALL && is_path) {
			const char *slash = strrchr(f->sval, '/');
			_cleanup_free_ char *parent =
				bg_strndup(f->sval, slash != f->sval ? (size_t)(slash - f->sval) : 1);
			if (parent && path_type(st, parent) == BG_AUDIT_PATH_MISSING)
				fail(st, "the kernel refuses path=%s: its parent directory %s does not "
					 "exist in the image (ENOENT)", f->sval, parent);
		}
	}
}

static void line_state_free(line_state *st)
{
	bg_strv_free(&st->names);
	bg_strbuf_free(&st->key);
	free(st->err);
}

int bg_auditrules_parse_argv(int argc, char *const *argv, const bg_audit_context *ctx,
			     bg_audit_rule *out, bg_error *err)
{
	line_state st = { .ctx = ctx, .r = out, .add = LIST_UNSET, .del = LIST_UNSET,
			  .action = -1 };
	int rc = run_line(&st, argc, argv);
	if (rc == BG_E_NOMEM) {
		line_state_free(&st);
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an audit rule");
	}
	if (rc == 1 && !st.err) {
		/* "possible is deprecated": auditctl skips the line, no error. */
		out->kind = BG_AUDIT_BLANK;
		out->loads = true;
		line_state_free(&st);
		return 0;
	}
	kernel_checks(&st);
	if (st.err) {
		out->error = BG_TAKE_PTR(st.err);
		out->loads = false;
	} else {
		out->loads = true;
	}
	line_state_free(&st);
	return 0;
}

int bg_auditrules_parse_line(const char *text, const bg_audit_context *ctx, bg_audit_rule *out,
			     bg_error *err)
{
	char **argv = NULL;
	int argc = 0;
	memset(out, 0, sizeof *out);
	if (!(out->text = bg_strdup(text)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	size_t i = 0;
	while (text[i] == ' ')
		i++;
	if (!text[i] || text[i] == '#') {
		out->kind = BG_AUDIT_BLANK;
		out->loads = true;
		return 0;
	}
	if (tokenize(text, strlen(text), &argv, &argc, true) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (argc > 0 && argv[0][0] == '#') {
		out->kind = BG_AUDIT_BLANK;
		out->loads = true;
		bg_auditrules_argv_free(argv);
		return 0;
	}
	int rc = bg_auditrules_parse_argv(argc, argv, ctx, out, err);
	bg_auditrules_argv_free(argv);
	return rc;
}

void bg_audit_rule_clear(bg_audit_rule *r)
{
	if (!r)
		return;
	free(r->file);
	free(r->layer);
	free(r->text);
	free(r->error);
	free(r->control_value);
	free(r->list);
	free(r->action);
	free(r->syscalls);
	for (size_t i = 0; i < r->nsyscall_names; i++)
		free(r->syscall_names[i]);
	free(r->syscall_names);
	free(r->arch);
	for (size_t i = 0; i < r->nfields; i++) {
		free(r->fields[i].name);
		free(r->fields[i].value);
		free(r->fields[i].sval);
	}
	free(r->fields);
	for (size_t i = 0; i < r->nkeys; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->watch_path);
	free(r->perm);
	memset(r, 0, sizeof *r);
}

void bg_audit_ruleset_free(bg_audit_ruleset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		bg_audit_rule_clear(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}

char *bg_auditrules_error_message(const bg_audit_rule *rule)
{
	char *s = NULL;
	if (!rule || !rule->error)
		return NULL;
	if (asprintf(&s, "%s:%u: auditctl refuses this line: %s; auditctl stops at the first "
		     "error, so every later rule in the load, including -e 2, would never load",
		     rule->file ? rule->file : "(rule)", rule->line, rule->error) < 0)
		return NULL;
	return s;
}

/* ---- a whole file: fileopt() and the kernel's rule list ---------------- */

static int ruleset_push(bg_audit_ruleset *set, bg_audit_rule **out)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 32;
		bg_audit_rule *nv = realloc(set->v, cap * sizeof *nv);
		if (!nv)
			return BG_E_NOMEM;
		set->v = nv;
		set->cap = cap;
	}
	*out = &set->v[set->n++];
	memset(*out, 0, sizeof **out);
	return 0;
}

/* Loaded rules as the kernel holds them, for EEXIST / ENOENT / -D. */
typedef struct kernel_list {
	bg_strv ids;   /* bg_auditnorm_kernel_id of each loaded rule */
	bg_strv keys;  /* its joined key ("" for none), same index */
} kernel_list;

static void kernel_remove(kernel_list *kl, size_t i)
{
	free(kl->ids.v[i]);
	free(kl->keys.v[i]);
	memmove(&kl->ids.v[i], &kl->ids.v[i + 1], (kl->ids.n - i - 1) * sizeof(char *));
	memmove(&kl->keys.v[i], &kl->keys.v[i + 1], (kl->keys.n - i - 1) * sizeof(char *));
	kl->ids.n--;
	kl->keys.n--;
}

/* Apply a parsed line to the kernel state: returns an error message (malloc'd)
 * when the kernel refuses it, NULL otherwise; *oom on allocation failure. */
static char *kernel_apply(bg_audit_ruleset *set, kernel_list *kl, const bg_audit_rule *r,
			  const bg_audit_context *ctx, const char *locked_at, bool *oom)
{
	char *msg = NULL;
	bool changes = r->kind == BG_AUDIT_SYSCALL || r->kind == BG_AUDIT_WATCH ||
		       r->kind == BG_AUDIT_DELETE || r->kind == BG_AUDIT_UNWATCH ||
		       (r->kind == BG_AUDIT_CONTROL &&
			(r->control == BG_AUDIT_CTL_DELETE_ALL || r->control == BG_AUDIT_CTL_ENABLE ||
			 r->control == BG_AUDIT_CTL_FAILURE || r->control == BG_AUDIT_CTL_BACKLOG ||
			 r->control == BG_AUDIT_CTL_RATE || r->control == BG_AUDIT_CTL_BACKLOG_WAIT));
	if (set->locked && changes) {
		if (asprintf(&msg, "the audit rules are immutable after -e 2 (%s): the kernel "
			     "refuses every change (EPERM)", locked_at) < 0)
			*oom = true;
		return msg;
	}
	if (r->kind == BG_AUDIT_CONTROL) {
		if (r->control == BG_AUDIT_CTL_DELETE_ALL) {
			const char *key = r->control_value;
			for (size_t i = kl->ids.n; i-- > 0;)
				if (!key || strcmp(kl->keys.v[i], key) == 0)
					kernel_remove(kl, i);
		} else if (r->control == BG_AUDIT_CTL_ENABLE) {
			set->enable = atoi(r->control_value);
			if (set->enable == 2)
				set->locked = true;
		}
		return NULL;
	}
	if (r->kind == BG_AUDIT_BLANK)
		return NULL;
	_cleanup_free_ char *id = bg_auditnorm_kernel_id(r, ctx);
	if (!id) {
		*oom = true;
		return NULL;
	}
	size_t found = kl->ids.n;
	for (size_t i = 0; i < kl->ids.n; i++)
		if (strcmp(kl->ids.v[i], id) == 0)
			found = i;
	if (r->kind == BG_AUDIT_SYSCALL || r->kind == BG_AUDIT_WATCH) {
		if (found < kl->ids.n) {
			if (asprintf(&msg, "Error sending add rule data request (Rule exists): the "
				     "same rule was loaded earlier (EEXIST)") < 0)
				*oom = true;
			return msg;
		}
		bg_strbuf k = { 0 };
		for (size_t i = 0; i < r->nkeys; i++) {
			if (i)
				bg_strbuf_putc(&k, AUDIT_KEY_SEPARATOR);
			bg_strbuf_puts(&k, r->keys[i]);
		}
		char *ks = k.s ? bg_strbuf_take(&k) : bg_strdup("");
		if (!ks || bg_strv_push(&kl->ids, id) < 0 || bg_strv_push_take(&kl->keys, ks) < 0) {
			*oom = true;
			return NULL;
		}
		return NULL;
	}
	/* -d / -W */
	if (found == kl->ids.n) {
		if (asprintf(&msg, "Error sending delete rule request (No rule matches): no such "
			     "rule is loaded (ENOENT)") < 0)
			*oom = true;
		return msg;
	}
	kernel_remove(kl, found);
	return NULL;
}

int bg_audit_ruleset_load(bg_audit_ruleset *set, const bg_audit_context *ctx, bg_error *err)
{
	kernel_list kl = { 0 };
	bool ignore = false, oom = false;
	bool stopped = false;
	char locked_at[64] = "";
	set->first_error = NULL;
	set->enable = -1;
	set->locked = false;
	for (size_t i = 0; i < set->n; i++) {
		bg_audit_rule *r = &set->v[i];
		if (stopped) {
			r->loads = false;
			continue;
		}
		if (r->kind == BG_AUDIT_BLANK && !r->error) {
			r->loads = true;
			continue;
		}
		if (!r->error) {
			char *msg = kernel_apply(set, &kl, r, ctx, locked_at, &oom);
			if (oom)
				break;
			if (msg)
				r->error = msg;
			else if (set->locked && !locked_at[0])
				snprintf(locked_at, sizeof locked_at, "line %u", r->line);
		}
		if (r->kind == BG_AUDIT_CONTROL &&
		    (r->control == BG_AUDIT_CTL_IGNORE || r->control == BG_AUDIT_CTL_CONTINUE))
			ignore = true; /* sticky for the rest of the file */
		r->loads = r->error == NULL;
		if (r->error && !ignore) {
			set->first_error = r;
			stopped = true;
		}
	}
	bg_strv_free(&kl.ids);
	bg_strv_free(&kl.keys);
	if (oom)
		return bg_error_set(err, BG_E_NOMEM, "out of memory loading audit rules");
	return 0;
}

/* Parse one line into a new rule of set. */
static int parse_one(bg_audit_ruleset *set, const char *file, const char *layer, unsigned lineno,
		     const char *text, size_t len, const char *note, const bg_audit_context *ctx,
		     bg_error *err)
{
	bg_audit_rule *r;
	if (ruleset_push(set, &r) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	_cleanup_free_ char *t = bg_strndup(text, len);
	if (!t)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	int rc = bg_auditrules_parse_line(t, ctx, r, err);
	if (rc < 0)
		return rc;
	r->line = lineno;
	if ((file && !(r->file = bg_strdup(file))) || (layer && !(r->layer = bg_strdup(layer))))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (note && r->error) {
		char *m = NULL;
		if (asprintf(&m, "%s (%s)", r->error, note) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		free(r->error);
		r->error = m;
	}
	return 0;
}

int bg_auditrules_parse_lines(bg_audit_ruleset *set, const char *file, const char *layer,
			      const char *data, size_t len, unsigned first_line, bool strip_cr,
			      const bg_audit_context *ctx, bg_error *err)
{
	unsigned lineno = first_line;
	size_t pos = 0;
	bool continuation = false;
	while (pos < len) {
		/* fgets(buf, 6144): up to 6143 bytes or through the newline. */
		size_t max = BG_AUDIT_LINE_SIZE - 1, n = 0;
		while (n < max && pos + n < len && data[pos + n] != '\n')
			n++;
		bool newline = pos + n < len && data[pos + n] == '\n' && n < max;
		bool split = !newline && pos + n < len;
		/* strchr(buf, '\n') stops at a NUL: the line ends there. */
		size_t eff = strnlen(data + pos, n);
		if (strip_cr && eff && data[pos + eff - 1] == '\r')
			eff--;
		int rc = parse_one(set, file, layer, lineno, data + pos, eff,
				   split ? "the line is longer than auditctl's 6144-byte buffer: "
					   "the rest is read as another line"
				   : continuation ? "this is the rest of a line longer than auditctl's "
						    "6144-byte buffer" : NULL, ctx, err);
		if (rc < 0)
			return rc;
		pos += n + (newline ? 1 : 0);
		continuation = split;
		if (!split)
			lineno++;
	}
	return 0;
}

int bg_auditrules_parse(const char *file, const char *layer, const char *data, size_t len,
			const bg_audit_context *ctx, bg_audit_ruleset *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	out->enable = -1;
	if (len > MAX_INPUT_BYTES)
		return bg_error_set(err, BG_E_INPUT, "%s: audit rules file is larger than %u bytes",
				    file ? file : "(rules)", MAX_INPUT_BYTES);
	int rc = bg_auditrules_parse_lines(out, file, layer, data, len, 1, false, ctx, err);
	if (rc == 0)
		rc = bg_audit_ruleset_load(out, ctx, err);
	if (rc < 0)
		bg_audit_ruleset_free(out);
	return rc;
}
