/* Fuzz target: expand any bytes as one Containerfile word.  The first byte
 * picks the escape character and the lexer switches; the word is expanded
 * over a small environment (with a NULL "declared, no value" entry), split
 * into words, and freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/shellword.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const bg_shell_var vars[] = {
		{"A", "alpha/beta.gamma"}, {"E", ""}, {"N", NULL}, {"S", "x  y\nz"}, {"A", "a*b?c"},
	};
	static const bg_shell_env env = {vars, sizeof vars / sizeof vars[0]};
	char escape = (data[0] & 0x10) ? '`' : '\\';
	unsigned flags = data[0] & 0x0F;
	char *word = malloc(size);
	if (!word)
		return 0;
	memcpy(word, data + 1, size - 1);
	word[size - 1] = '\0'; /* words are C strings: stop at an embedded NUL */
	bg_shell_result res;
	bg_error err = {0};
	if (bg_shell_expand(word, escape, flags, &env, &res, &err) == 0)
		bg_shell_result_free(&res);
	free(word);
	return 0;
}
