#ifndef CV_UTF8_H
#define CV_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * 1 if p[0..len) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points past U+10FFFF) with no NUL byte; 0 otherwise.
 */
int	utf8_valid(const uint8_t *p, size_t len);

/*
 * The bytes (1 to 4) of the character at p[0..len), len > 0, and in
 * *unsafe 1 if a terminal or a reader could take it for more than one
 * printed character; what a log line or a peer's text shown to the
 * operator replaces with '?':
 *   C0 controls and DEL (a newline, a carriage return, an escape);
 *   C1 controls, U+0080..U+009F (C2 80..C2 9F: U+009B is a CSI, U+0085 a
 *     newline to some readers);
 *   a byte that does not begin a well-formed character (taken alone: a
 *     terminal not reading UTF-8 takes 0x9b for a CSI);
 *   U+2028 and U+2029, the line and paragraph separators;
 *   the bidi controls (Unicode's Bidi_Control: U+061C, U+200E, U+200F,
 *     the embeddings and overrides U+202A..U+202E, the isolates
 *     U+2066..U+2069), which reorder what is shown after them.
 * Other invisible or look-alike characters (U+200B, U+FEFF, homoglyphs)
 * stay: they cannot move the cursor, add a line or reorder the line.
 */
size_t	utf8_char(const uint8_t *p, size_t len, int *unsafe);

/* Replace each unsafe character of s[0..len) with one '?', in place;
 * the new length. */
size_t	utf8_clean(char *s, size_t len);

#endif
