/* Fuzz target for strictjson.h.
 *
 * Input: any bytes, parsed as one strict JSON document.  Beyond "no crash,
 * no leak", it checks properties callers rely on and aborts when one fails:
 *   - a refusal always carries a message naming the document, and no tree;
 *   - an accepted document, written back by json-c, is itself strict JSON
 *     and reads back to the same text (so what the gate accepted has one
 *     meaning: no duplicate keys, no NUL, valid UTF-8 survive the trip);
 *   - no string in an accepted tree contains a NUL byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/strictjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                 \
	do {                        \
		if (!(cond))        \
			abort();    \
	} while (0)

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static void check_no_nul(json_object *o, unsigned depth)
{
	CHECK(depth <= BG_JSON_MAX_DEPTH);
	switch (json_object_get_type(o)) {
	case json_type_string:
		CHECK(memchr(json_object_get_string(o), '\0', (size_t)json_object_get_string_len(o)) ==
		      NULL);
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_no_nul(json_object_array_get_idx(o, i), depth + 1);
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			check_no_nul(val, depth + 1);
		}
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *o = NULL;
	bg_error err = {0};
	if (size > 1024 * 1024)
		return 0;
	if (bg_json_parse_strict((const char *)data, size, "fuzz", &o, &err) < 0) {
		CHECK(o == NULL);
		CHECK(strncmp(err.message, "fuzz: ", 6) == 0);
		return 0;
	}
	check_no_nul(o, 0);
	/* Written back, it must be strict JSON with the same meaning. */
	char *text = strdup(json_object_to_json_string_ext(o, FLAGS));
	CHECK(text);
	json_object *again = NULL;
	CHECK(bg_json_parse_strict(text, strlen(text), "fuzz again", &again, &err) == 0);
	CHECK(strcmp(json_object_to_json_string_ext(again, FLAGS), text) == 0);
	free(text);
	json_object_put(again);
	json_object_put(o);
	return 0;
}
