#include <string.h>

#include "common/utf8.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * 1 if none of the 8 bytes in v is 0 or above 0x7f.  (v - ONES) & ~v
 * sets a byte's high bit where the byte is 0 (and, past the first such
 * byte, maybe where it is 1 or 0x80, which fails either way); v sets it
 * where the byte is above 0x7f.
 */
static int
word_ascii(uint64_t v)
{
	return (((v - ONES) & ~v) | v) & HIGHS ? 0 : 1;
}

/*
 * The character at p[0..len), len > 0, not ASCII: its bytes (2 to 4) and
 * code point in *cp, or 0 if it is not well-formed (a byte that begins
 * none, a short or overlong form, a surrogate, past U+10FFFF).
 */
static size_t
utf8_decode(const uint8_t *p, size_t len, uint32_t *cp)
{
	size_t		need, k;
	uint32_t	min;
	uint8_t		c = p[0];

	if ((c & 0xe0) == 0xc0) {
		need = 1; *cp = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2; *cp = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3; *cp = c & 0x07; min = 0x10000;
	} else
		return 0;
	if (len - 1 < need)
		return 0;
	for (k = 1; k <= need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[k] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return need + 1;
}

int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t		i = 0, k;
	uint32_t	cp;
	uint64_t	v;

	while (i < len) {
		/*
		 * Peers' strings are nearly all ASCII (names, paths,
		 * signatures): 8 bytes a step while they are, the byte
		 * loop only where one is not.
		 */
		if (len - i >= sizeof(v)) {
			memcpy(&v, p + i, sizeof(v));
			if (word_ascii(v)) {
				i += sizeof(v);
				continue;
			}
		}
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_decode(p + i, len - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A character the terminal could take for a control or a reordering. */
static int
cp_unsafe(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;
	switch (cp) {
	case 0x061c:
	case 0x200e:
	case 0x200f:
	case 0x2028:
	case 0x2029:
		return 1;
	}
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t
utf8_char(const uint8_t *p, size_t len, int *unsafe)
{
	size_t		k;
	uint32_t	cp;

	if (p[0] < 0x80) {
		*unsafe = cp_unsafe(p[0]);
		return 1;
	}
	if ((k = utf8_decode(p, len, &cp)) == 0) {
		*unsafe = 1;
		return 1;
	}
	*unsafe = cp_unsafe(cp);
	return k;
}

size_t
utf8_clean(char *s, size_t len)
{
	size_t	i = 0, n = 0, k;
	int	unsafe;

	while (i < len) {
		k = utf8_char((const uint8_t *)s + i, len - i, &unsafe);
		if (unsafe)
			s[n++] = '?';
		else {
			memmove(s + n, s + i, k);
			n += k;
		}
		i += k;
	}
	return n;
}
