#include "common/utf8.h"

int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t		i = 0, k, need;
	uint32_t	cp, min;

	while (i < len) {
		uint8_t c = p[i++];

		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		if (len - i < need)
			return 0;
		for (k = 0; k < need; k++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i++] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}
