/* bootgate — build stages of a parsed Containerfile, resolved the way
 * BuildKit's dockerfile2llb does before it pulls anything:
 *
 *  - each FROM's image and --platform expanded over the built-in platform
 *    ARGs, the meta ARGs (ARGs before the first FROM; each default expanded
 *    with the earlier ones) and the caller's build args (KEY=VALUE, which
 *    override defaults);
 *  - whether the image names an earlier stage (exact match with its
 *    lower-cased AS name), is "scratch", or is an image to pull;
 *  - which variables the expansion needed but had no value for.
 *
 * bg_stages_find resolves COPY --from= / RUN --mount=...,from= values. */
#ifndef BOOTGATE_STAGES_H
#define BOOTGATE_STAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/containerfile.h"
#include "bootgate/error.h"

typedef enum bg_base_kind {
	BG_BASE_IMAGE = 0,  /* an image reference to pull */
	BG_BASE_STAGE = 1,  /* an earlier stage (base_stage) */
	BG_BASE_SCRATCH = 2 /* "scratch": the empty image */
} bg_base_kind;

typedef struct bg_stage {
	const bg_instruction *from; /* the FROM instruction (inside the bg_containerfile) */
	char *name;                 /* lower-cased AS name, NULL without one */
	char *image;                /* the expanded image ("" when it expanded to nothing) */
	char *platform;             /* the expanded --platform, NULL without one */
	bg_base_kind kind;
	size_t base_stage;          /* kind == BG_BASE_STAGE: index of that stage */
	char **unresolved;          /* variables the image needed and had no value for: an */
	size_t n_unresolved;        /* ARG without default not given as build arg, or undeclared */
	char **platform_unresolved; /* the same for --platform */
	size_t n_platform_unresolved;
} bg_stage;

typedef struct bg_stages {
	bg_stage *v;
	size_t n;
} bg_stages;

/* platform: the target platform, "os/arch[/variant]" (e.g. "linux/amd64");
 * it also stands for the build platform.  build_args: n_build_args strings
 * "KEY=VALUE".  Fails (BG_E_INPUT, with the line) when an expansion fails,
 * e.g. unbalanced quotes or "${" in a FROM; BG_E_USAGE for a bad build arg or
 * platform.  Free with bg_stages_free (also after failure). */
int bg_stages_resolve(const bg_containerfile *cf, const char *platform,
		      const char *const *build_args, size_t n_build_args, bg_stages *out,
		      bg_error *err);
void bg_stages_free(bg_stages *st);

/* A --from value: an integer is a stage index (must be in range, else
 * BG_E_INPUT); otherwise a case-insensitive stage name (any stage, earlier or
 * later; the last of duplicates).  Returns 1 and *index for a stage, 0 when
 * ref is not a stage (so it is an image reference). */
int bg_stages_find(const bg_stages *st, const char *ref, size_t *index, bg_error *err);

#endif
