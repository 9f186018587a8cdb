/* bootgate — command-line entry point: the command table and global flags.
 * Commands other than lint are loaded from bootgate-commands.so on demand
 * (see commands.h for why). */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bg_config.h"
#include "commands.h"

typedef int (*command_fn)(int argc, char **argv);

struct command {
	const char *name;
	command_fn run;      /* built in, or NULL: `symbol` in the module */
	const char *symbol;
	const char *summary;
};

static const struct command commands[] = {
	{"check", NULL, "cmd_check", "run the whole gate for the roles of bootgate.yaml; record passing roles"},
	{"lint", cmd_lint, NULL, "check Containerfiles: pinned images, verified sources, no broad contexts"},
	{"inspect", NULL, "cmd_inspect", "show an image's verified digests, platform, labels and layers"},
	{"verify", NULL, "cmd_verify", "decide whether an image is trusted under containers policy.json (signatures)"},
	{"verify-signature", NULL, "cmd_verify_signature", "check one simple-signing signature blob against key files"},
	{"audit", NULL, "cmd_audit", "check an image's audit rules, kargs and units against a gate policy"},
	{"manifest", NULL, "cmd_manifest", "sign, verify, diff and merge the signed role manifest"},
	{"drift", NULL, "cmd_drift", "compare a host's bootc status with its role's signed manifest entry"},
};

/* The module next to the executable (a build tree), else where it was
 * installed.  No environment variable can point elsewhere: what runs is
 * decided by where bootgate itself is installed. */
static command_fn load_command(const char *symbol)
{
	char self[PATH_MAX], next_to_self[PATH_MAX + 32];
	const char *candidates[2] = {NULL, BG_COMMANDS_MODULE};
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(next_to_self, sizeof next_to_self, "%s/bootgate-commands.so", self);
			candidates[0] = next_to_self;
		}
	}
	const char *last_error = "not found";
	for (size_t i = 0; i < 2; i++) {
		if (!candidates[i] || access(candidates[i], R_OK) != 0)
			continue;
		void *module = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
		if (!module) {
			last_error = dlerror();
			continue;
		}
		command_fn fn = (command_fn)dlsym(module, symbol);
		if (fn)
			return fn;
		last_error = "entry point missing";
	}
	fprintf(stderr, "bootgate: cannot load the command module (%s, tried next to bootgate and %s): %s\n",
		symbol, BG_COMMANDS_MODULE, last_error);
	return NULL;
}

static void usage(FILE *out)
{
	fputs("Usage: bootgate [--version] [--help] <command> [options] [args]\n"
	      "\n"
	      "A supply-chain gate for image-mode RHEL (bootc) images.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-17s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Run 'bootgate <command> --help' for a command's options.\n"
	      "\n"
	      "Exit status: 0 pass, 1 gate closed (findings at or above the failure\n"
	      "threshold), 2 usage or configuration error, 3 could not evaluate.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("bootgate %s\n", BG_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(name, commands[i].name) != 0)
			continue;
		command_fn run = commands[i].run ? commands[i].run : load_command(commands[i].symbol);
		return run ? run(argc - 1, argv + 1) : 3;
	}
	fprintf(stderr, "bootgate: unknown command '%s'\n\n", name);
	usage(stderr);
	return 2;
}
