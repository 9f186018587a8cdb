/* bootgate CLI — the command table's entry points, one file per command.
 *
 * lint is built into the bootgate executable.  The commands that read
 * images (registry, archives, GnuPG, layer scans) live in the module
 * bootgate-commands.so, which main.c loads only when one of them runs: the
 * libraries they need (libcurl, libarchive, gpgme, ISA-L, zstd and their ~40
 * dependencies) cost ~10 ms of loading per process, which a pre-commit hook
 * linting one file would otherwise pay every time. */
#ifndef BOOTGATE_CMD_COMMANDS_H
#define BOOTGATE_CMD_COMMANDS_H

/* Entry points are exported from the module (the library's own symbols stay
 * hidden). */
#define BG_COMMAND __attribute__((visibility("default")))

/* Each returns the process exit code (DESIGN.md: 0 pass, 1 gate closed,
 * 2 usage/configuration, 3 could not evaluate).  argv[0] is the command name. */
BG_COMMAND int cmd_lint(int argc, char **argv);
BG_COMMAND int cmd_inspect(int argc, char **argv);
BG_COMMAND int cmd_verify(int argc, char **argv);
BG_COMMAND int cmd_verify_signature(int argc, char **argv);
BG_COMMAND int cmd_audit(int argc, char **argv);
BG_COMMAND int cmd_manifest(int argc, char **argv);
BG_COMMAND int cmd_drift(int argc, char **argv);
BG_COMMAND int cmd_check(int argc, char **argv);

#endif
