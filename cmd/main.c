/* bootgate — command-line entry point: the command table and global flags. */
#include <stdio.h>
#include <string.h>

#include "bg_config.h"
#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"lint", cmd_lint, "check Containerfiles: pinned images, verified sources, no broad contexts"},
	{"inspect", cmd_inspect, "show an image's verified digests, platform, labels and layers"},
	{"verify", cmd_verify, "decide whether an image is trusted under containers policy.json (signatures)"},
	{"verify-signature", cmd_verify_signature, "check one simple-signing signature blob against key files"},
	{"audit", cmd_audit, "check an image's audit rules, kargs and units against a gate policy"},
	{"manifest", cmd_manifest, "sign, verify, diff and merge the signed role manifest"},
	{"drift", cmd_drift, "compare a host's bootc status with its role's signed manifest entry"},
	{"check", cmd_check, "run the whole gate for the roles of bootgate.yaml; record passing roles"},
};

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
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "bootgate: unknown command '%s'\n\n", name);
	usage(stderr);
	return 2;
}
