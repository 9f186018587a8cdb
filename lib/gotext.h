/* bootgate — Go-compatible text primitives.
 *
 * BuildKit is written in Go, and some of its observable behaviour comes from
 * Go's standard library rather than from BuildKit itself: how invalid UTF-8
 * decodes (one U+FFFD per bad byte), what unicode.IsSpace/IsLetter/IsDigit
 * accept, how strconv.Quote escapes, how encoding/json decodes an array.
 * Matching BuildKit byte for byte means matching those too; they live here,
 * private to the library, shared by the shell lexer and the parser. */
#ifndef BOOTGATE_GOTEXT_H
#define BOOTGATE_GOTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define BG_RUNE_ERROR 0xFFFDu

/* The lexers call these once per character, and nearly every character is
 * ASCII: each has an inline ASCII fast path and calls the full version
 * (the _slow function, for everything) only for other bytes. */

uint32_t bg_utf8_decode_slow(const char *s, size_t n, size_t *width);
void bg_utf8_append_slow(bg_strbuf *b, uint32_t r);
bool bg_unicode_is_space_slow(uint32_t r);

/* utf8.DecodeRune: the rune at s (n > 0 bytes) and its width; an invalid,
 * short, overlong or surrogate sequence gives (U+FFFD, 1). */
static inline uint32_t bg_utf8_decode(const char *s, size_t n, size_t *width)
{
	if ((unsigned char)s[0] < 0x80) {
		*width = 1;
		return (unsigned char)s[0];
	}
	return bg_utf8_decode_slow(s, n, width);
}

/* utf8.AppendRune: invalid runes (surrogates, > U+10FFFF) become U+FFFD. */
static inline void bg_utf8_append(bg_strbuf *b, uint32_t r)
{
	if (r < 0x80 && b->len + 2 <= b->cap && !b->oom) {
		b->s[b->len++] = (char)r;
		b->s[b->len] = '\0';
		return;
	}
	bg_utf8_append_slow(b, r);
}

/* unicode.IsSpace, IsLetter, IsDigit, IsPrint. */
static inline bool bg_unicode_is_space(uint32_t r)
{
	if (r < 0x80)
		return r == ' ' || (r >= '\t' && r <= '\r');
	return bg_unicode_is_space_slow(r);
}
bool bg_unicode_is_letter(uint32_t r);
bool bg_unicode_is_digit(uint32_t r);
bool bg_unicode_is_print(uint32_t r);

size_t bg_go_space_prefix_slow(const char *s, size_t n);
size_t bg_go_space_suffix_slow(const char *s, size_t n);

/* strings.TrimLeftFunc / TrimRightFunc with unicode.IsSpace: the number of
 * bytes of white space at the start / end of s[0..n). */
static inline size_t bg_go_space_prefix(const char *s, size_t n)
{
	if (n > 0 && (unsigned char)s[0] < 0x80 && !bg_unicode_is_space((unsigned char)s[0]))
		return 0;
	return bg_go_space_prefix_slow(s, n);
}

static inline size_t bg_go_space_suffix(const char *s, size_t n)
{
	if (n > 0 && (unsigned char)s[n - 1] < 0x80 && !bg_unicode_is_space((unsigned char)s[n - 1]))
		return 0;
	return bg_go_space_suffix_slow(s, n);
}

/* strconv.Quote(s[0..n)) appended to b. */
void bg_go_quote(bg_strbuf *b, const char *s, size_t n);

/* encoding/json: decode the JSON array at the start of s[0..n) (data after it
 * is ignored, as json.Decoder.Decode does) and call emit for each element.
 * Returns 1 when it is an array of strings (emit was called for each),
 * 0 when it is not valid JSON (emit not called), -1 when it is valid but an
 * element is not a string, or a negative value from emit. */
typedef int (*bg_json_emit_fn)(void *ctx, const char *s, size_t len);
int bg_go_json_string_array(const char *s, size_t n, bg_json_emit_fn emit, void *ctx);

#endif
