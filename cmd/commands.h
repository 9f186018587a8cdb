/* bootgate CLI — the command table's entry points, one file per command. */
#ifndef BOOTGATE_CMD_COMMANDS_H
#define BOOTGATE_CMD_COMMANDS_H

/* Each returns the process exit code (DESIGN.md: 0 pass, 1 gate closed,
 * 2 usage/configuration, 3 could not evaluate).  argv[0] is the command name. */
int cmd_lint(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_verify_signature(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_drift(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
