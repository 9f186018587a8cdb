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

/* Layer scan (layers.h, inflate.h).  A layer that inflates past either cap
 * is a decompression bomb: the scan fails for it (CVE-2017-14992 class). */
#define BG_MAX_LAYER_UNCOMPRESSED_BYTES (64ULL * 1024ULL * BG_MiB) /* 64 GiB per layer */
/* Uncompressed:compressed ratio refused once a layer has produced more than
 * BG_INFLATE_RATIO_GRACE bytes.  Deflate tops out near 1032:1, so only
 * streams of (almost) nothing but repeated bytes reach it; real layers are
 * 2.5-4:1 (registry-layers.md 5.2). */
#define BG_MAX_INFLATE_RATIO 1000ULL
#define BG_INFLATE_RATIO_GRACE (64ULL * BG_MiB)
#define BG_MAX_LAYER_ENTRIES (4UL * 1024UL * 1024UL) /* tar entries per layer */
/* Bytes of kept content (files of interest) per layer and per image view:
 * bounds memory whatever the image holds. */
#define BG_MAX_KEPT_BYTES (256 * BG_MiB)
#define BG_MAX_IMAGE_PATH 4096     /* bytes in one entry name or link target */
#define BG_MAX_SYMLINK_HOPS 40     /* as the kernel's MAXSYMLINKS */
#define BG_MAX_CACHE_FILE_BYTES (512 * BG_MiB)

#endif
