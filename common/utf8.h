#ifndef CV_UTF8_H
#define CV_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * 1 if p[0..len) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points past U+10FFFF) with no NUL byte; 0 otherwise.
 */
int	utf8_valid(const uint8_t *p, size_t len);

#endif
