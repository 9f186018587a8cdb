/* bootgate — private: strict standard base64 decoding (Go's
 * base64.StdEncoding: the + / alphabet, '=' padding required; CR and LF are
 * skipped), for policy.json keyData and the signatures extension's content.
 * Header-only so that the two users need no new library source file. */
#ifndef BOOTGATE_BASE64_H
#define BOOTGATE_BASE64_H

#include <stddef.h>

/* Decodes n bytes of s into out (room for n / 4 * 3 bytes); returns the
 * decoded length, or -1 when s is not valid padded base64. */
static inline long bg_base64_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned quad[4];
	size_t q = 0, o = 0;
	int pad = 0;
	bool done = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;
		if (c == '\r' || c == '\n')
			continue;
		if (done)
			return -1; /* data after a padded quad */
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=')
			v = -1;
		else
			return -1;
		if (v == -1) {
			if (q < 2)
				return -1;
			pad++;
			v = 0;
		} else if (pad) {
			return -1; /* a data character after '=' */
		}
		quad[q++] = (unsigned)v;
		if (q == 4) {
			out[o++] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
			if (pad < 2)
				out[o++] = (unsigned char)(quad[1] << 4 | quad[2] >> 2);
			if (pad < 1)
				out[o++] = (unsigned char)(quad[2] << 6 | quad[3]);
			q = 0;
			done = pad > 0;
		}
	}
	return q == 0 ? (long)o : -1;
}

#endif
