/* Tests for bootgate.yaml: roles, defaults, path resolution, strictness. */
#include <string.h>

#include "bootgate/reference.h"
#include "bootgate/roles_config.h"
#include "tap.h"

static bg_roles_config *parse(const char *yaml, bg_error *err)
{
	bg_roles_config *cfg = NULL;
	bg_error_clear(err);
	if (bg_roles_config_parse(yaml, strlen(yaml), "repo/bootgate.yaml", &cfg, err) != 0)
		return NULL;
	return cfg;
}

static void test_valid(void)
{
	bg_error err;
	bg_roles_config *cfg = parse("version: 1\n"
				     "manifest: roles.manifest.json\n"
				     "defaults:\n"
				     "  platform: linux/amd64\n"
				     "  failure-threshold: warning\n"
				     "  policy: policies/baseline.yaml\n"
				     "  build-args: {BASE: 'quay.io/x@sha256:aa', TAG: '1'}\n"
				     "  trust: {policy: trust/policy.json, registries.d: trust/registries.d}\n"
				     "roles:\n"
				     "  web:\n"
				     "    containerfile: roles/web/Containerfile\n"
				     "    image: oci:build/web:latest\n"
				     "    identity: registry.example.com/fleet/web:1.0\n"
				     "    build-args: {TAG: '2'}\n"
				     "  db:\n"
				     "    image: registry.example.com/fleet/db@sha256:bb\n"
				     "    failure-threshold: error\n"
				     "    policy: /abs/policy.yaml\n",
				     &err);
	if (!ok(cfg != NULL, "a full bootgate.yaml loads"))
		tap_diag("%s", err.message);
	if (!cfg)
		return;
	is_str(cfg->manifest, "repo/roles.manifest.json", "manifest path relative to the file");
	is_int(cfg->n_roles, 2, "two roles, in file order");
	const bg_role_config *web = &cfg->roles[0], *db = &cfg->roles[1];
	is_str(web->name, "web", "first role is web");
	is_str(web->containerfile, "repo/roles/web/Containerfile", "containerfile resolved");
	is_str(web->context, "repo/roles/web", "context defaults to the Containerfile's directory");
	is_str(web->image, "oci:repo/build/web:latest", "local image path resolved, transport kept");
	is_str(web->identity, "registry.example.com/fleet/web:1.0", "identity kept as written");
	is_int(web->n_build_args, 2, "build args: defaults plus the role's");
	is_str(web->build_args[0], "BASE=quay.io/x@sha256:aa", "default build arg inherited");
	is_str(web->build_args[1], "TAG=2", "the role's value replaces the default's");
	is_int(web->threshold, BG_SEV_WARNING, "threshold inherited from defaults");
	is_str(web->policy, "repo/policies/baseline.yaml", "policy inherited and resolved");
	is_str(web->trust_policy, "repo/trust/policy.json", "trust policy resolved");
	is_str(web->trust_registries_d, "repo/trust/registries.d", "registries.d resolved");
	is_str(db->image, "registry.example.com/fleet/db@sha256:bb", "registry image untouched");
	ok(db->containerfile == NULL, "a role may have no Containerfile");
	is_int(db->threshold, BG_SEV_ERROR, "the role's threshold wins");
	is_str(db->policy, "/abs/policy.yaml", "absolute path kept");
	ok(bg_roles_config_find(cfg, "db") == db, "find by name");
	ok(bg_roles_config_find(cfg, "nope") == NULL, "unknown role not found");
	bg_roles_config_free(cfg);
}

static void test_mirrors(void)
{
	bg_error err;
	bg_roles_config *cfg = parse("defaults:\n"
				     "  mirrors:\n"
				     "    registry.redhat.io/rhel9/rhel-bootc: oci:mirror/bootc:9.6\n"
				     "    fedora: oci:mirror/fedora\n"
				     "roles:\n"
				     "  web:\n"
				     "    image: oci:build/web\n"
				     "    mirrors: {registry.redhat.io/rhel9/rhel-bootc: oci:/abs/bootc}\n"
				     "  db: {image: oci:build/db}\n",
				     &err);
	if (!ok(cfg != NULL, "mirrors in defaults and a role load"))
		tap_diag("%s", err.message);
	if (!cfg)
		return;
	const bg_role_config *web = &cfg->roles[0], *db = &cfg->roles[1];
	const bg_role_mirror *m = bg_role_config_mirror(db, "registry.redhat.io/rhel9/rhel-bootc");
	is_str(m ? m->image : NULL, "oci:repo/mirror/bootc:9.6", "default mirror inherited, path resolved");
	m = bg_role_config_mirror(db, "docker.io/library/fedora");
	is_str(m ? m->image : NULL, "oci:repo/mirror/fedora", "mirror repository normalised like a pull");
	m = bg_role_config_mirror(web, "registry.redhat.io/rhel9/rhel-bootc");
	is_str(m ? m->image : NULL, "oci:/abs/bootc", "the role's mirror replaces the default's");
	is_int(web->n_mirrors, 2, "no duplicate entry after the replacement");
	ok(bg_role_config_mirror(web, "quay.io/x/y") == NULL, "no mirror for another repository");
	bg_roles_config_free(cfg);
}

static void test_trust_inline(void)
{
	bg_error err;
	bg_roles_config *cfg = parse("defaults:\n"
				     "  trust:\n"
				     "    policy-inline:\n"
				     "      default: [{type: reject}]\n"
				     "      transports:\n"
				     "        docker:\n"
				     "          \"quay.io/team\": [{type: signedBy, keyType: GPGKeys, keyPath: /k.gpg}]\n"
				     "          registry.example.com: [{type: insecureAcceptAnything}]\n"
				     "    lookaside: https://sigs.example.com/store\n"
				     "roles:\n"
				     "  web: {image: oci:build/web}\n"
				     "  db:\n"
				     "    image: oci:build/db\n"
				     "    trust: {policy: trust/policy.json}\n"
				     "  cache:\n"
				     "    image: oci:build/cache\n"
				     "    trust: {registries.d: trust/registries.d, policy-inline: {default: [{type: reject}]}}\n",
				     &err);
	if (!ok(cfg != NULL, "trust.policy-inline and trust.lookaside load"))
		tap_diag("%s", err.message);
	if (!cfg)
		return;
	const bg_role_config *web = &cfg->roles[0], *db = &cfg->roles[1], *cache = &cfg->roles[2];
	is_str(web->trust_policy_inline,
	       "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"quay.io/team\":[{\"type\":"
	       "\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k.gpg\"}],\"registry.example.com\":[{\"type\":"
	       "\"insecureAcceptAnything\"}]}}}",
	       "policy-inline inherited from defaults, as policy.json text");
	ok(web->trust_policy_inline_name && strstr(web->trust_policy_inline_name, "repo/bootgate.yaml:4:"),
	   "the inline policy is named by its file and line");
	is_str(web->trust_lookaside, "https://sigs.example.com/store", "lookaside inherited from defaults");
	ok(web->trust_policy == NULL && web->trust_registries_d == NULL, "no files with inline settings");

	bg_trust_policy *tp = NULL;
	bg_registriesd *rd = NULL;
	int rc = bg_role_config_trust(web, &tp, &rd, &err);
	if (!ok(rc == 0 && tp && rd, "the inline trust settings load"))
		tap_diag("%s", err.message);
	if (rc == 0) {
		is_int(tp->n_scopes, 2, "inline policy: two docker scopes");
		is_int(tp->default_reqs.n == 1 && tp->default_reqs.v[0].type == BG_TRUST_REJECT, 1,
		       "inline policy: default reject");
		bg_reference ref = {0};
		bg_registriesd_choice c = {0};
		if (bg_reference_parse("quay.io/team/app:1", &ref, &err) == 0 &&
		    bg_registriesd_lookaside(rd, &ref, &c, &err) == 0) {
			is_str(c.url, "https://sigs.example.com/store", "lookaside: the default-docker lookaside");
			is_str(c.section, "default-docker", "lookaside: from the default-docker section");
			is_str(c.file, "repo/bootgate.yaml", "lookaside: defined in bootgate.yaml");
		} else {
			ok(0, "lookaside lookup: %s", err.message);
		}
		bg_registriesd_choice_free(&c);
		bg_reference_free(&ref);
	}
	bg_trust_policy_free(tp);
	bg_registriesd_free(rd);

	is_str(db->trust_policy, "repo/trust/policy.json", "a role's policy file replaces the default's inline policy");
	ok(db->trust_policy_inline == NULL, "... and the inline text is gone");
	is_str(db->trust_lookaside, "https://sigs.example.com/store", "... while the default lookaside stays");
	is_str(cache->trust_registries_d, "repo/trust/registries.d", "a role's registries.d replaces the lookaside");
	ok(cache->trust_lookaside == NULL, "... and the lookaside is gone");
	is_str(cache->trust_policy_inline, "{\"default\":[{\"type\":\"reject\"}]}", "a role's own policy-inline");
	bg_roles_config_free(cfg);

	/* Scalars: plain true/false/null become JSON literals, quoted stay strings. */
	cfg = parse("roles:\n  a:\n    image: x\n    trust:\n      policy-inline:\n"
		    "        default: [{type: insecureAcceptAnything}]\n"
		    "        transports: {docker: {'a\"b\\c': [{type: reject}]}}\n",
		    &err);
	if (!ok(cfg != NULL, "keys with quotes and backslashes load"))
		tap_diag("%s", err.message);
	if (cfg)
		ok(strstr(cfg->roles[0].trust_policy_inline, "\"a\\\"b\\\\c\"") != NULL, "JSON strings are escaped");
	bg_roles_config_free(cfg);
}

static void expect_error(const char *yaml, const char *needle, const char *name)
{
	bg_error err;
	bg_roles_config *cfg = parse(yaml, &err);
	bool good = !cfg && err.status == BG_E_USAGE && strstr(err.message, needle);
	if (!ok(good, "%s", name))
		tap_diag("message: %s", err.message);
	bg_roles_config_free(cfg);
}

static void test_errors(void)
{
	expect_error("roles:\n  web:\n    containerfil: x\n", "repo/bootgate.yaml:3:", "unknown role key, with its line");
	expect_error("role:\n  web: {image: x}\n", "unknown key 'role'", "unknown top-level key");
	expect_error("defaults:\n  image: x\nroles:\n  a: {image: x}\n", "unknown key 'image'",
		     "image is not a default");
	expect_error("version: 1\n", "no 'roles'", "no roles");
	expect_error("roles: {}\n", "empty", "empty roles");
	expect_error("roles:\n  web: {platform: linux/amd64}\n", "nothing to check", "role with nothing to check");
	expect_error("roles:\n  web: {image: x, failure-threshold: fatal}\n", "fatal", "bad threshold");
	expect_error("roles:\n  Web: {image: x}\n", "lower-case", "upper-case role name");
	expect_error("version: 2\nroles:\n  a: {image: x}\n", "version", "unknown format version");
	expect_error("roles:\n  a: {image: x}\n  a: {image: y}\n", "duplicate", "duplicate role");
	expect_error("roles:\n  a: {image: ''}\n", "empty", "empty image");
	expect_error("roles:\n  a: {image: x, trust: {policy: p, sigstore: y}}\n", "unknown key 'sigstore'",
		     "unknown trust key");
	expect_error("roles:\n  a:\n    image: x\n    trust:\n      policy: p.json\n      policy-inline: {default: []}\n",
		     "repo/bootgate.yaml:6:", "policy and policy-inline together: error at its line");
	expect_error("roles:\n  a:\n    image: x\n    trust: {policy: p.json, policy-inline: {}}\n",
		     "both 'policy' (line 4) and 'policy-inline'", "policy and policy-inline: both named");
	expect_error("defaults:\n  trust:\n    registries.d: d\n    lookaside: https://s\nroles:\n  a: {image: x}\n",
		     "repo/bootgate.yaml:4:", "registries.d and lookaside together: error at its line");
	expect_error("roles:\n  a:\n    image: x\n    trust:\n      policy-inline:\n"
		     "        default: [{type: reject}]\n        transports: {docker: {x: [{type: signedBy, keyType: GPGKeys, "
		     "keyPath: /k, signedIdentty: {type: matchExact}}]}}\n",
		     "repo/bootgate.yaml:6:9: trust.policy-inline", "an invalid inline policy: error with its line");
	expect_error("roles:\n  a:\n    image: x\n    trust:\n      policy-inline:\n        default: [{type: reject}]\n"
		     "        transports: {docker: {x: [{type: signedBy, keyType: GPGKeys, keyPath: /k, signedIdentty: {}}]}}\n",
		     "signedIdentty", "an invalid inline policy: the message names the bad key");
	expect_error("roles:\n  a: {image: x, trust: {policy-inline: {}}}\n", "default",
		     "an inline policy without default is refused like policy.json");
	expect_error("roles:\n  a: {image: x, trust: {policy-inline: [x]}}\n", "mapping",
		     "policy-inline must be a mapping");
	expect_error("roles:\n  a: {image: x, trust: {lookaside: ftp://sigs}}\n", "ftp://sigs",
		     "lookaside with another scheme");
	expect_error("roles:\n  a: {image: x, trust: {lookaside: 'https://a b'}}\n", "without spaces",
		     "lookaside with a space");
	expect_error("roles:\n  a: {image: x, trust: {lookaside: ''}}\n", "lookaside", "empty lookaside");
	expect_error("", "empty file", "empty file");
	expect_error("roles:\n  a: {image: x, mirrors: {quay.io/x/y:1.0: oci:m}}\n", "without tag or digest",
		     "a mirror key with a tag");
	expect_error("roles:\n  a: {image: x, mirrors: [oci:m]}\n", "mirrors", "mirrors must be a mapping");
}

int main(void)
{
	test_valid();
	test_mirrors();
	test_trust_inline();
	test_errors();
	return tap_done();
}
