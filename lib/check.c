/* bootgate — `bootgate check`: lint, base image signatures, built image
 * signature, scan and audit, per role of bootgate.yaml (check.h). */
#include "bootgate/check.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootgate/audit.h"
#include "bootgate/auditrules.h"
#include "bootgate/containerfile.h"
#include "bootgate/digest.h"
#include "bootgate/image.h"
#include "bootgate/imageverify.h"
#include "bootgate/limits.h"
#include "bootgate/lint.h"
#include "bootgate/lintconfig.h"
#include "bootgate/policy.h"
#include "bootgate/registriesd.h"
#include "bootgate/stages.h"
#include "bootgate/trust.h"
#include "util.h"

const char *bg_check_status_name(bg_check_status s)
{
	switch (s) {
	case BG_CHECK_PASS: return "pass";
	case BG_CHECK_FAIL: return "fail";
	case BG_CHECK_UNEVALUATED: return "unevaluated";
	}
	return "unknown";
}

/* Everything a role needs, loaded before anything is fetched so that a
 * configuration error stops the run (exit 2) instead of becoming a verdict. */
typedef struct role_job {
	const bg_role_config *rc;
	const bg_check_options *o;
	bg_lintconfig *lintcfg;
	bg_trust_policy *trust;
	bg_registriesd *regd;
	bg_policy *gate;
	bg_pathset *interest;
	bg_platform platform;
	bool have_platform;
	bg_reference identity;
	bool have_identity;
	bg_check_role *out;
} role_job;

static void job_clear(role_job *j)
{
	bg_lintconfig_free(j->lintcfg);
	bg_trust_policy_free(j->trust);
	bg_registriesd_free(j->regd);
	bg_policy_free(j->gate);
	bg_pathset_free(j->interest);
	bg_platform_free(&j->platform);
	if (j->have_identity)
		bg_reference_free(&j->identity);
	memset(j, 0, sizeof *j);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return bg_strdup(".");
	if (slash == path)
		return bg_strdup("/");
	return bg_strndup(path, (size_t)(slash - path));
}

static int policy_hash(const char *path, char **out, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	char hex[BG_DIGEST_STRING_MAX];
	int rc = bg_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	if ((rc = bg_digest_buffer(BG_DIGEST_SHA256, data, len, hex, err)) < 0)
		return rc;
	if (!(*out = bg_strdup(hex)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

/* Loads a role's settings; every error is a configuration error. */
static int job_prepare(role_job *j, bg_error *err)
{
	const bg_role_config *rc = j->rc;
	int r = 0;
	if (rc->platform && (r = bg_platform_parse(rc->platform, &j->platform, err)) < 0)
		goto fail;
	j->have_platform = rc->platform != NULL;
	if (rc->identity) {
		if ((r = bg_reference_parse(rc->identity, &j->identity, err)) < 0)
			goto fail;
		j->have_identity = true;
	}
	if (rc->containerfile) {
		size_t nrules;
		const bg_rule *const *rules = bg_lint_rules(&nrules);
		_cleanup_free_ char *dir = dir_of(rc->containerfile);
		_cleanup_free_ char *found = NULL;
		if (!dir)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		if ((r = bg_lintconfig_find(dir, &found, err)) < 0)
			goto fail;
		if (found && (r = bg_lintconfig_load(found, rules, nrules, &j->lintcfg, err)) < 0)
			goto fail;
	}
	/* From files, or inline in bootgate.yaml (trust.policy-inline, trust.lookaside). */
	if ((r = bg_role_config_trust(rc, &j->trust, &j->regd, err)) < 0)
		goto fail;
	if (rc->policy && rc->image) {
		if ((r = bg_policy_load(rc->policy, &j->gate, err)) < 0 ||
		    (r = bg_audit_policy_check(j->gate, err)) < 0 ||
		    (r = bg_audit_pathset(j->gate, &j->interest, err)) < 0 ||
		    (r = policy_hash(rc->policy, &j->out->policy_hash, err)) < 0)
			goto fail;
	}
	return 0;
fail:
	bg_error_prefix(err, "role '%s'", rc->name);
	return r == BG_E_NOMEM ? r : BG_E_USAGE;
}

/* ---- findings ------------------------------------------------------------- */

static bool add_finding(role_job *j, const bg_rule *rule, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool add_finding(role_job *j, const bg_rule *rule, const char *file, unsigned line, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	bool good = bg_findings_add(&j->out->findings, rule, rule->severity, file, line, 0, "%s", msg) != NULL;
	free(msg);
	return good;
}

/* Audit findings name a path in the image (or a line of the policy); in a
 * report over many roles they name the image, and the place moves into the
 * message. */
static bool copy_findings(bg_findings *dst, const bg_findings *src, const char *image)
{
	for (size_t i = 0; i < src->n; i++) {
		const bg_finding *f = &src->v[i];
		char where[32] = "";
		if (f->line)
			snprintf(where, sizeof where, ":%u", f->line);
		const char *file = f->file ? f->file : "", *msg = f->message ? f->message : "";
		/* Messages that already start with their file keep it once. */
		bool named = *file && !f->line && bg_str_has_prefix(msg, file);
		bg_finding *c = named ? bg_findings_add(dst, f->rule, f->severity, image, 0, 0, "%s", msg)
				      : bg_findings_add(dst, f->rule, f->severity, image, 0, 0, "%s%s: %s",
							file, where, msg);
		if (!c)
			return false;
		if (f->snippet)
			bg_finding_set_snippet(c, f->snippet, strlen(f->snippet));
		c->suppressed = f->suppressed;
		if (f->suppress_reason && !(c->suppress_reason = bg_strdup(f->suppress_reason)))
			return false;
	}
	return true;
}

/* ---- 1. lint and 2. base images ----------------------------------------- */

static const bg_platform *job_platform(const role_job *j)
{
	return j->have_platform ? &j->platform : NULL;
}

static bool known_base(const bg_check_role *out, const char *ref)
{
	for (size_t i = 0; i < out->n_bases; i++)
		if (strcmp(out->bases[i].reference, ref) == 0)
			return true;
	return false;
}

static const char *signer_of(const bg_trust_decision *d, bool uid)
{
	if (!d->accepted || d->accepted_sig < 0 || (size_t)d->accepted_sig >= d->n_sigs)
		return NULL;
	const bg_trust_sigreport *s = &d->sigs[d->accepted_sig];
	if (uid)
		return s->uid;
	return s->primary_fpr ? s->primary_fpr : s->signer_fpr;
}

static char *scope_text(const bg_trust_decision *d)
{
	char *s = NULL;
	if (!d->scope)
		return bg_strdup("the policy's default");
	if (asprintf(&s, "scope \"%s\"", d->scope) < 0)
		return NULL;
	return s;
}

/* Fetch one FROM image and decide its signature.  Returns false only when
 * out of memory. */
static bool check_base(role_job *j, const char *file, unsigned line, const char *text)
{
	bg_check_role *out = j->out;
	bg_check_base *v = realloc(out->bases, (out->n_bases + 1) * sizeof *v);
	if (!v)
		return false;
	out->bases = v;
	bg_check_base *b = &v[out->n_bases];
	memset(b, 0, sizeof *b);
	if (!(b->reference = bg_strdup(text)))
		return false;
	out->n_bases++;

	bg_reference ref = {0};
	bg_source *src = NULL;
	bg_image *img = NULL;
	bg_trust_decision d = {0};
	bg_reference pulled = {0};
	char *where = NULL, *by_digest = NULL;
	bg_error err = {0};
	bool good = true;
	if (bg_reference_parse(text, &ref, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, file, line,
				   "base image %s is not a valid reference: %s", text, err.message);
		goto out;
	}
	const bg_role_mirror *mirror = bg_role_config_mirror(j->rc, ref.name);
	if (!(b->read_from = bg_strdup(mirror ? mirror->image : ref.full))) {
		good = false;
		goto out;
	}
	if (bg_source_open(b->read_from, &j->o->source, &src, &err) < 0 ||
	    bg_image_resolve(src, job_platform(j), &img, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, file, line, "base image %s%s%s: cannot be fetched: %s",
				   text, mirror ? " from mirror " : "", mirror ? mirror->image : "", err.message);
		goto out;
	}
	if (mirror && ref.digest && !bg_digest_equal(ref.digest, img->manifest_digest) &&
	    !(img->index_digest && bg_digest_equal(ref.digest, img->index_digest))) {
		good = add_finding(j, &bg_rule_check_unevaluated, file, line,
				   "base image %s: the mirror %s holds %s, not the pinned %s; update the mirror "
				   "or the pin", text, mirror->image, img->index_digest ? img->index_digest
										    : img->manifest_digest,
				   ref.digest);
		goto out;
	}
	if ((img->index_digest && !(b->index_digest = bg_strdup(img->index_digest))) ||
	    !(b->manifest_digest = bg_strdup(img->manifest_digest))) {
		good = false;
		goto out;
	}
	/* The identity a pull by this FROM has: with a digest, name@digest (the
	 * tag is only a comment then, as buildah pulls it), so that
	 * matchRepoDigestOrExact accepts any signature of the repository for
	 * that digest, as containers/image does. */
	if (ref.digest && asprintf(&by_digest, "%s@%s", ref.name, ref.digest) < 0)
		by_digest = NULL;
	if (ref.digest && (!by_digest || bg_reference_parse(by_digest, &pulled, &err) < 0)) {
		good = add_finding(j, &bg_rule_check_unevaluated, file, line, "base image %s: %s", text,
				   by_digest ? err.message : "out of memory");
		goto out;
	}
	bg_imageverify_input in = {
		.policy = j->trust,
		.registries_d = j->regd,
		.source = src,
		.image = img,
		.identity = ref.digest ? &pulled : &ref,
		.lookaside = {.cert_dir = j->o->source.cert_dir, .insecure = j->o->source.insecure,
			      .connect_timeout = j->o->source.connect_timeout},
	};
	if (bg_imageverify_decide(&in, &d, &where, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, file, line,
				   "base image %s: its signature could not be evaluated: %s", text, err.message);
		goto out;
	}
	if (!d.accepted) {
		_cleanup_free_ char *scope = scope_text(&d);
		good = add_finding(j, &bg_rule_base_signature_rejected, file, line,
				   "base image %s is not trusted: %s [%s of %s; requirement: %s; signatures: %s]",
				   text, d.reason ? d.reason : "rejected", scope ? scope : "?", j->trust->name,
				   d.requirement_text ? d.requirement_text : "?", where ? where : "none");
		goto out;
	}
	b->accepted = true;
	const char *fpr = signer_of(&d, false), *uid = signer_of(&d, true);
	if ((fpr && !(b->signer_fingerprint = bg_strdup(fpr))) || (uid && !(b->signer_uid = bg_strdup(uid))))
		good = false;
out:
	free(where);
	free(by_digest);
	bg_reference_free(&pulled);
	bg_trust_decision_free(&d);
	bg_image_free(img);
	bg_source_close(src);
	bg_reference_free(&ref);
	return good;
}

static bool lint_and_bases(role_job *j)
{
	const bg_role_config *rc = j->rc;
	const char *file = rc->containerfile;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	bg_error err = {0};
	if (bg_read_file(file, BG_MAX_CONTAINERFILE_BYTES, &data, &len, &err) < 0)
		return add_finding(j, &bg_rule_check_unevaluated, file, 0, "cannot read the Containerfile: %s",
				   err.message);
	bg_lint_options lo = {
		.config = j->lintcfg,
		.build_args = (const char *const *)rc->build_args,
		.nbuild_args = rc->n_build_args,
		.platform = rc->platform,
		.context_dir = rc->context,
	};
	if (bg_lint_containerfile(file, data, len, &lo, &j->out->findings, &err) < 0)
		return err.status != BG_E_NOMEM &&
		       add_finding(j, &bg_rule_check_unevaluated, file, 0, "lint could not run: %s", err.message);

	bg_containerfile *cf = NULL;
	if (bg_containerfile_parse(data, len, file, &cf, &err) < 0) {
		/* lint reported it as parse-error, which fails the role already */
		bg_containerfile_free(cf);
		return err.status != BG_E_NOMEM;
	}
	bg_stages st = {0};
	const char *platform = rc->platform ? rc->platform
				: j->lintcfg && j->lintcfg->platform ? j->lintcfg->platform : "linux/amd64";
	bool good = true;
	if (bg_stages_resolve(cf, platform, (const char *const *)rc->build_args, rc->n_build_args, &st, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, file, err.line,
				   "the base images cannot be resolved, so none was checked: %s", err.message);
	} else {
		for (size_t i = 0; i < st.n && good; i++) {
			const bg_stage *s = &st.v[i];
			unsigned line = s->from ? s->from->start_line : 0;
			if (s->kind != BG_BASE_IMAGE)
				continue;
			if (s->n_unresolved || !s->image[0]) {
				good = add_finding(j, &bg_rule_check_unevaluated, file, line,
						   "FROM needs a value for %s, so its image cannot be checked; give it "
						   "in the role's build-args",
						   s->n_unresolved ? s->unresolved[0] : "its image");
				continue;
			}
			if (!known_base(j->out, s->image))
				good = check_base(j, file, line, s->image);
		}
	}
	bg_stages_free(&st);
	bg_containerfile_free(cf);
	return good;
}

/* ---- 3. the built image --------------------------------------------------- */

static bool check_image(role_job *j)
{
	const bg_role_config *rc = j->rc;
	const char *image = rc->image;
	bg_check_role *out = j->out;
	bg_source *src = NULL;
	bg_image *img = NULL;
	bg_imageview *view = NULL;
	bg_trust_decision d = {0};
	bg_audit_result res;
	bool have_res = false;
	char *where = NULL;
	bg_error err = {0};
	bool good = true;
	memset(&res, 0, sizeof res);

	if (bg_source_open(image, &j->o->source, &src, &err) < 0 ||
	    bg_image_resolve(src, job_platform(j), &img, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, image, 0, "the image cannot be fetched: %s",
				   err.message);
		goto out;
	}
	if ((img->index_digest && !(out->index_digest = bg_strdup(img->index_digest))) ||
	    !(out->manifest_digest = bg_strdup(img->manifest_digest)))
		goto oom;
	const bg_reference *id = j->have_identity ? &j->identity
				 : src->ref.transport == BG_TRANSPORT_DOCKER ? &src->ref.reference : NULL;
	if (id && !(out->repository = bg_strdup(id->name)))
		goto oom;

	bg_imageverify_input in = {
		.policy = j->trust,
		.registries_d = j->regd,
		.source = src,
		.image = img,
		.identity = id,
		.lookaside = {.cert_dir = j->o->source.cert_dir, .insecure = j->o->source.insecure,
			      .connect_timeout = j->o->source.connect_timeout},
	};
	bool required = false;
	if (bg_imageverify_required(&in, &required, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, image, 0,
				   "the trust policy cannot be applied to the image: %s", err.message);
	} else if (required) {
		if (bg_imageverify_decide(&in, &d, &where, &err) < 0) {
			good = add_finding(j, &bg_rule_check_unevaluated, image, 0,
					   "the image's signature could not be evaluated: %s", err.message);
		} else if (!d.accepted) {
			_cleanup_free_ char *scope = scope_text(&d);
			good = add_finding(j, &bg_rule_image_signature_rejected, image, 0,
					   "image %s (identity %s) is not trusted: %s [%s of %s, requirement: %s; "
					   "signatures: %s]",
					   img->manifest_digest, id ? id->full : "none", d.reason ? d.reason : "rejected",
					   scope ? scope : "?", j->trust->name,
					   d.requirement_text ? d.requirement_text : "?", where ? where : "none");
		} else {
			const char *fpr = signer_of(&d, false);
			if (fpr && !(out->image_signer_fingerprint = bg_strdup(fpr)))
				goto oom;
		}
	}
	if (!good || !j->gate)
		goto out;

	if (bg_layers_scan(src, img, j->interest, &j->o->layers, &view, NULL, &err) < 0) {
		good = add_finding(j, &bg_rule_check_unevaluated, image, 0, "the image's layers cannot be scanned: %s",
				   err.message);
		goto out;
	}
	bg_audit_input ain = {
		.view = view,
		.interest = j->interest,
		.oci_arch = img->config ? img->config->platform.architecture : NULL,
		.subject = image,
	};
	if (bg_audit_evaluate(j->gate, &ain, &res, &err) < 0) {
		good = err.status != BG_E_NOMEM &&
		       add_finding(j, &bg_rule_check_unevaluated, image, 0, "the audit could not run: %s", err.message);
		goto out;
	}
	have_res = true;
	good = copy_findings(&out->findings, &res.findings, image);
	goto out;
oom:
	good = false;
out:
	if (have_res)
		bg_audit_result_clear(&res);
	free(where);
	bg_trust_decision_free(&d);
	bg_imageview_free(view);
	bg_image_free(img);
	bg_source_close(src);
	return good;
}

/* ---- 4. the verdict, and the worker pool ---------------------------------- */

static void job_run(role_job *j)
{
	bg_check_role *out = j->out;
	bool good = true;
	if (j->rc->containerfile)
		good = lint_and_bases(j);
	if (good && j->rc->image)
		good = check_image(j);
	bg_findings_sort(&out->findings);
	if (!good) {
		out->status = BG_CHECK_UNEVALUATED;
		out->reason = bg_strdup("out of memory");
		return;
	}
	size_t unevaluated = 0, failing = 0;
	for (size_t i = 0; i < out->findings.n; i++) {
		const bg_finding *f = &out->findings.v[i];
		if (f->rule == &bg_rule_check_unevaluated && !f->suppressed)
			unevaluated++;
		else if (bg_finding_fails(f, out->threshold))
			failing++;
	}
	int n;
	if (unevaluated) {
		out->status = BG_CHECK_UNEVALUATED;
		n = asprintf(&out->reason, "%zu part%s could not be evaluated%s", unevaluated,
			     unevaluated == 1 ? "" : "s", failing ? ", and findings fail the gate" : "");
	} else if (failing) {
		out->status = BG_CHECK_FAIL;
		n = asprintf(&out->reason, "%zu finding%s at or above %s", failing, failing == 1 ? "" : "s",
			     bg_severity_name(out->threshold));
	} else {
		out->status = BG_CHECK_PASS;
		n = asprintf(&out->reason, "%s%s%s, no finding at or above %s",
			     j->rc->containerfile ? "lint, base signatures" : "",
			     j->rc->containerfile && j->rc->image ? ", " : "",
			     j->rc->image ? (j->gate ? "image and audit" : "image") : "",
			     bg_severity_name(out->threshold));
	}
	if (n < 0)
		out->reason = NULL;
}

typedef struct pool {
	pthread_mutex_t lock;
	role_job *jobs;
	size_t n, next;
} pool;

static void *pool_worker(void *arg)
{
	pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		job_run(&p->jobs[i]);
	}
}

int bg_check_run(const bg_roles_config *cfg, const char *const *names, size_t n_names,
		 const bg_check_options *o, bg_check_result *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	size_t n = n_names ? n_names : cfg->n_roles;
	const bg_role_config **sel = calloc(n ? n : 1, sizeof *sel);
	if (!sel)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < cfg->n_roles && !n_names; i++)
		sel[k++] = &cfg->roles[i];
	/* Named roles run in configuration order, each once. */
	for (size_t i = 0; i < cfg->n_roles && n_names; i++)
		for (size_t m = 0; m < n_names; m++)
			if (strcmp(cfg->roles[i].name, names[m]) == 0) {
				sel[k++] = &cfg->roles[i];
				break;
			}
	for (size_t m = 0; m < n_names; m++)
		if (!bg_roles_config_find(cfg, names[m])) {
			free(sel);
			return bg_error_set(err, BG_E_USAGE, "%s: no role '%s' (roles: %s%s)", cfg->path, names[m],
					    cfg->n_roles ? cfg->roles[0].name : "", cfg->n_roles > 1 ? ", ..." : "");
		}
	n = k;
	out->roles = calloc(n ? n : 1, sizeof *out->roles);
	role_job *jobs = calloc(n ? n : 1, sizeof *jobs);
	int rc = 0;
	if (!out->roles || !jobs) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto done;
	}
	out->n_roles = n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		jobs[i].rc = sel[i];
		jobs[i].o = o;
		jobs[i].out = &out->roles[i];
		out->roles[i].config = sel[i];
		out->roles[i].threshold = o->threshold_set ? o->threshold : sel[i]->threshold;
		rc = job_prepare(&jobs[i], err);
	}
	if (rc < 0)
		goto done;

	pool p = {.jobs = jobs, .n = n};
	pthread_mutex_init(&p.lock, NULL);
	unsigned want = o->jobs ? o->jobs : 1;
	if (want > n)
		want = (unsigned)n;
	pthread_t *threads = calloc(want ? want : 1, sizeof *threads);
	unsigned started = 0;
	for (unsigned t = 0; threads && t < want; t++) {
		if (pthread_create(&threads[t], NULL, pool_worker, &p) != 0)
			break;
		started++;
	}
	if (started == 0)
		pool_worker(&p); /* no thread: run them here, one after the other */
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	pthread_mutex_destroy(&p.lock);
done:
	for (size_t i = 0; jobs && i < n; i++)
		job_clear(&jobs[i]);
	free(jobs);
	free(sel);
	return rc;
}

void bg_check_result_clear(bg_check_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_roles; i++) {
		bg_check_role *x = &r->roles[i];
		free(x->reason);
		bg_findings_free(&x->findings);
		for (size_t b = 0; b < x->n_bases; b++) {
			free(x->bases[b].reference);
			free(x->bases[b].read_from);
			free(x->bases[b].index_digest);
			free(x->bases[b].manifest_digest);
			free(x->bases[b].signer_fingerprint);
			free(x->bases[b].signer_uid);
		}
		free(x->bases);
		free(x->index_digest);
		free(x->manifest_digest);
		free(x->repository);
		free(x->policy_hash);
		free(x->image_signer_fingerprint);
	}
	free(r->roles);
	memset(r, 0, sizeof *r);
}

int bg_check_exit_code(const bg_check_result *r)
{
	int code = r->n_roles ? 0 : 3;
	for (size_t i = 0; i < r->n_roles; i++) {
		if (r->roles[i].status == BG_CHECK_UNEVALUATED)
			return 3;
		if (r->roles[i].status == BG_CHECK_FAIL)
			code = 1;
	}
	return code;
}

/* ---- recording ------------------------------------------------------------ */

int bg_check_entry(const bg_check_role *r, const char *source_revision, int64_t now, bg_role_entry *out,
		   bg_error *err)
{
	memset(out, 0, sizeof *out);
	const char *name = r->config->name;
	if (r->status != BG_CHECK_PASS)
		return bg_error_set(err, BG_E_USAGE, "role '%s' did not pass: nothing is recorded", name);
	if (!r->manifest_digest)
		return bg_error_set(err, BG_E_USAGE, "role '%s' has no built image: nothing to record", name);
	if (!r->repository)
		return bg_error_set(err, BG_E_USAGE,
				    "role '%s': the image %s has no registry identity; give the role an 'identity' "
				    "(the repository hosts pull it from)",
				    name, r->config->image);
	/* The base image's signer is the evidence (the first signed base). */
	const bg_check_base *signed_base = NULL;
	for (size_t i = 0; i < r->n_bases && !signed_base; i++)
		if (r->bases[i].signer_fingerprint)
			signed_base = &r->bases[i];
	char **bases = calloc(r->n_bases ? r->n_bases : 1, sizeof *bases);
	if (!bases)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	size_t nb = 0;
	for (size_t i = 0; i < r->n_bases; i++)
		if (r->bases[i].manifest_digest)
			bases[nb++] = r->bases[i].manifest_digest;
	bg_role_entry e = {
		.name = (char *)name,
		.repository = r->repository,
		.index_digest = r->index_digest,
		.manifest_digest = r->manifest_digest,
		.base_digests = bases,
		.n_base_digests = nb,
		.evidence = {
			.policy_hash = r->policy_hash,
			.signer_fingerprint = signed_base ? signed_base->signer_fingerprint : NULL,
			.signer_uid = signed_base ? signed_base->signer_uid : NULL,
			.source_revision = (char *)source_revision,
			.verdict = (char *)"pass",
		},
		.recorded = now,
	};
	int rc = bg_role_entry_validate(&e, err);
	if (rc == 0)
		rc = bg_role_entry_copy(&e, out, err);
	free(bases);
	return rc;
}

/* git rev-parse HEAD in dir, without a shell; NULL when it fails. */
static char *git_head(const char *dir)
{
	int fds[2];
	if (pipe(fds) != 0)
		return NULL;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);
		execlp("git", "git", "-C", dir, "rev-parse", "HEAD", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char buf[128];
	size_t len = 0;
	ssize_t got;
	while (len < sizeof buf - 1 && (got = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)got;
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		;
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len < 7)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return NULL;
	return bg_strdup(buf);
}

char *bg_check_source_revision(const char *dir)
{
	static const char *const vars[] = {"CI_COMMIT_SHA", "GITHUB_SHA"};
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return bg_strdup(v);
	}
	char *head = git_head(dir ? dir : ".");
	return head ? head : bg_strdup("unknown");
}
