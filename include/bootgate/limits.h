/* bootgate — every size limit in one place (DESIGN.md "Conventions"). */
#ifndef BOOTGATE_LIMITS_H
#define BOOTGATE_LIMITS_H

#define BG_MiB (1024UL * 1024UL)

#define BG_MAX_MANIFEST_BYTES (4 * BG_MiB)  /* manifest, index */
#define BG_MAX_CONFIG_BYTES (4 * BG_MiB)    /* image config blob */
#define BG_MAX_SIGNATURE_BYTES (4 * BG_MiB) /* one signature blob */
#define BG_MAX_TOKEN_BYTES (1 * BG_MiB)     /* auth token response */
#define BG_MAX_ERROR_BODY_BYTES (1 * BG_MiB)
#define BG_MAX_SIGNATURES 128               /* signatures per image */
#define BG_MAX_YAML_DEPTH 64                /* YAML nesting; aliases are rejected */
#define BG_MAX_FILE_OF_INTEREST (1 * BG_MiB)

/* Containerfiles: BuildKit refuses physical lines over 64 KiB (bufio limit). */
#define BG_MAX_CONTAINERFILE_LINE 65535
/* A Containerfile or config larger than this is refused outright. */
#define BG_MAX_CONTAINERFILE_BYTES (16 * BG_MiB)
#define BG_MAX_CONFIG_FILE_BYTES (4 * BG_MiB)

#endif
