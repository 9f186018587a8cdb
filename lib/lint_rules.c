/* bootgate — the lint rule table: ids, default severities, descriptions,
 * fixes and the NIST SP 800-53 controls each rule serves.  lint.c decides
 * when a rule fires; this file only says what each rule is. */
#include "bootgate/lint.h"
#include "lint_rules.h"

#include <string.h>

/* Pinning: a base or helper image without a content digest can change under
 * the same name, so the build is not reproducible and not the reviewed one.
 * CM-2 baseline configuration, CM-6 configuration settings, SR-3 supply chain
 * controls, SR-11 component authenticity. */
#define PIN_CONTROLS {"CM-2", "CM-6", "SR-3", "SR-11"}

const bg_rule bg_rule_parse_error = {
	.id = "parse-error",
	.severity = BG_SEV_ERROR,
	.summary = "the Containerfile cannot be parsed, so nothing in it can be checked",
	.help = "Fix the syntax error at the reported line; BuildKit would refuse the file too. "
		"The gate stays closed until the file parses.",
	.controls = {"CM-6", "SI-10"},
	.always_fails = true,
};

const bg_rule bg_rule_base_unpinned = {
	.id = "base-unpinned",
	.severity = BG_SEV_ERROR,
	.summary = "FROM image is not pinned by an @sha256 digest",
	.help = "Pin the base image by digest: FROM registry.redhat.io/rhel9/rhel-bootc:9.4@sha256:<64 hex>. "
		"Use `skopeo inspect --format '{{.Digest}}' docker://IMAGE` to find it; keep the tag for readers.",
	.controls = PIN_CONTROLS,
};

const bg_rule bg_rule_base_latest = {
	.id = "base-latest",
	.severity = BG_SEV_WARNING,
	.summary = "FROM image uses the 'latest' tag (or no tag) without a digest",
	.help = "Name an explicit version tag and pin the digest, e.g. rhel-bootc:9.4@sha256:<64 hex>.",
	.controls = {"CM-2", "CM-6", "SR-11"},
};

const bg_rule bg_rule_base_unresolved = {
	.id = "base-unresolved",
	.severity = BG_SEV_ERROR,
	.summary = "FROM image depends on a build argument with no value, so its pinning cannot be proven",
	.help = "Give the ARG a pinned default (ARG BASE=image@sha256:...) or pass --build-arg to bootgate "
		"with the value your build uses.",
	.controls = {"CM-2", "CM-6", "SR-3"},
};

const bg_rule bg_rule_digest_malformed = {
	.id = "digest-malformed",
	.severity = BG_SEV_ERROR,
	.summary = "image digest is not a valid sha256 or sha512 digest",
	.help = "A digest is sha256: followed by 64 lower-case hex digits (or sha512: and 128); copy it from "
		"`skopeo inspect` rather than typing it.",
	.controls = {"SI-7", "SR-11"},
};

const bg_rule bg_rule_image_invalid = {
	.id = "image-invalid",
	.severity = BG_SEV_ERROR,
	.summary = "image reference is not a valid reference",
	.help = "Write the reference as [registry[:port]/]repository[:tag][@digest] in lower case; "
		"BuildKit and podman would refuse it too.",
	.controls = {"CM-6", "SI-10"},
};

const bg_rule bg_rule_registry_untrusted = {
	.id = "registry-untrusted",
	.severity = BG_SEV_ERROR,
	.summary = "image comes from a registry that is not on the allow-list",
	.help = "Use an image from an allowed registry (lint.allowed-registries in .bootgate.yaml), or add "
		"the registry there after review.",
	.controls = {"SR-3", "SR-5", "SR-11", "CM-7"},
};

const bg_rule bg_rule_copy_from_unpinned = {
	.id = "copy-from-unpinned",
	.severity = BG_SEV_ERROR,
	.summary = "COPY --from names an image that is not pinned by digest",
	.help = "Pin the image (--from=image@sha256:<64 hex>), or give it a stage: "
		"FROM image@sha256:... AS name, then COPY --from=name.",
	.controls = PIN_CONTROLS,
};

const bg_rule bg_rule_mount_from_unpinned = {
	.id = "mount-from-unpinned",
	.severity = BG_SEV_ERROR,
	.summary = "RUN --mount from= names an image that is not pinned by digest",
	.help = "Pin the image (from=image@sha256:<64 hex>) or mount from a pinned stage.",
	.controls = PIN_CONTROLS,
};

const bg_rule bg_rule_syntax_unpinned = {
	.id = "syntax-unpinned",
	.severity = BG_SEV_ERROR,
	.summary = "the # syntax= frontend image is not pinned by digest",
	.help = "BuildKit pulls and runs the frontend image: pin it "
		"(# syntax=docker.io/docker/dockerfile:1.7@sha256:<index digest>) or remove the directive.",
	.controls = PIN_CONTROLS,
};

const bg_rule bg_rule_copy_broad_context = {
	.id = "copy-broad-context",
	.severity = BG_SEV_ERROR,
	.summary = "COPY/ADD copies the whole build context",
	.help = "Copy the files the image needs by name (COPY etc/ /etc/), or make the context's "
		".containerignore an allow-list: a line '*' followed by '!path' lines.",
	.controls = {"SR-3", "SR-4", "SR-11", "CM-3"},
};

const bg_rule bg_rule_add_remote_unverified = {
	.id = "add-remote-unverified",
	.severity = BG_SEV_ERROR,
	.summary = "ADD downloads a URL without --checksum",
	.help = "Add --checksum=sha256:<64 hex> with the file's digest (sha256sum FILE), so a changed "
		"download fails the build.",
	.controls = {"SI-7", "SR-3", "SR-11"},
};

const bg_rule bg_rule_add_git_unpinned = {
	.id = "add-git-unpinned",
	.severity = BG_SEV_ERROR,
	.summary = "ADD of a git repository is not pinned to a commit",
	.help = "Pin the commit: ADD --checksum=<40-hex commit> URL, or URL#<40-hex commit>, "
		"or URL?commit=<40-hex commit>. Branch and tag names can move.",
	.controls = {"CM-2", "SI-7", "SR-3", "SR-11"},
};

const bg_rule bg_rule_var_content = {
	.id = "var-content",
	.severity = BG_SEV_WARNING,
	.summary = "content written under /var is not updated on upgrade in image mode",
	.help = "bootc copies /var from the image only at first install; later images never update it. "
		"Ship content in /usr (or /etc) and create /var state at boot with systemd-tmpfiles.d.",
	.controls = {"CM-2", "CM-3", "CM-6"},
};

const bg_rule bg_rule_suppression_invalid = {
	.id = "suppression-invalid",
	.severity = BG_SEV_ERROR,
	.summary = "an inline '# bootgate ignore=' comment is invalid and was not applied",
	.help = "Write # bootgate ignore=<rule>[,<rule>] reason=\"why this is safe\" on the line above the "
		"instruction, naming existing rules; a suppression needs a reason that reviewers can read.",
	.controls = {"CM-3", "CM-6"},
};

static const bg_rule *const lint_rules[] = {
	&bg_rule_parse_error,
	&bg_rule_base_unpinned,
	&bg_rule_base_latest,
	&bg_rule_base_unresolved,
	&bg_rule_digest_malformed,
	&bg_rule_image_invalid,
	&bg_rule_registry_untrusted,
	&bg_rule_copy_from_unpinned,
	&bg_rule_mount_from_unpinned,
	&bg_rule_syntax_unpinned,
	&bg_rule_copy_broad_context,
	&bg_rule_add_remote_unverified,
	&bg_rule_add_git_unpinned,
	&bg_rule_var_content,
	&bg_rule_suppression_invalid,
};

const bg_rule *const *bg_lint_rules(size_t *n)
{
	*n = sizeof lint_rules / sizeof lint_rules[0];
	return lint_rules;
}

const bg_rule *bg_lint_rule_find(const char *id)
{
	for (size_t i = 0; i < sizeof lint_rules / sizeof lint_rules[0]; i++)
		if (strcmp(lint_rules[i]->id, id) == 0)
			return lint_rules[i];
	return NULL;
}
