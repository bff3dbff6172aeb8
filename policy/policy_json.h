/*
 * A strict JSON reader for the policy engine's body predicates
 * (policy_json.c).  Written by hand because the engine needs the exact
 * text of numbers, to compare decimals without a double in between.
 * Not for use outside policy/.
 *
 * Strict means RFC 8259 and a little more: one value with optional
 * whitespace around it and no trailing byte, no byte-order mark, no
 * duplicate keys in an object (compared after unescaping, and without
 * regard to case: "orderID" and "orderId" are one name twice, as an
 * exchange that folds names reads them), valid UTF-8
 * in strings, no unpaired surrogate in a \u escape, no \u0000 (a NUL an
 * exchange might cut a string at), nesting at most PJ_MAX_DEPTH deep,
 * at most PJ_MAX_LEN bytes and PJ_MAX_OPEN object members open at once.
 *
 * Nothing here allocates: pj_validate checks the text once, then
 * pj_lookup scans the validated text for a JSON pointer.
 */
#ifndef CV_POLICY_JSON_H
#define CV_POLICY_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"

#define PJ_MAX_LEN	65536
#define PJ_MAX_DEPTH	32
#define PJ_MAX_OPEN	4096	/* members of the objects open at once */

enum pj_kind {
	PJ_OBJECT,
	PJ_ARRAY,
	PJ_STRING,
	PJ_NUMBER,
	PJ_TRUE,
	PJ_FALSE,
	PJ_NULL,
};

/* A value inside validated text; p points into that text. */
struct pj_val {
	enum pj_kind	 kind;
	const uint8_t	*p;	/* STRING: between the quotes, still escaped;
				   otherwise the value's whole text */
	size_t		 len;
};

/*
 * 0 if p[0..len) is strict JSON.  Otherwise CV_ERR_INVALID (or
 * CV_ERR_TOOLONG past PJ_MAX_LEN) with *off the offending byte and *what
 * a static phrase for a person ("duplicate key").  off and what may be
 * NULL.
 */
int	 pj_validate(const uint8_t *p, size_t len, size_t *off,
	    const char **what) CV_WUR;

/*
 * Find the value at JSON pointer ptr[0..ptrlen) (RFC 6901: "" is the
 * whole text, "~0" is '~', "~1" is '/') in text that pj_validate
 * accepted, a member's name matched without regard to case (the one
 * member an exchange that folds names would read for it).  0 with *out set; CV_ERR_NOTFOUND when no such value (a
 * missing key, an index past the end or not in canonical form, a step
 * into a scalar); CV_ERR_INVALID for a malformed pointer.
 */
int	 pj_lookup(const uint8_t *p, size_t len, const char *ptr,
	    size_t ptrlen, struct pj_val *out) CV_WUR;

/*
 * The bytes of an escaped string, decoded one at a time: iterate with
 * pj_sit_next until it returns -1.  Only for strings pj_validate
 * accepted.
 */
struct pj_sit {
	const uint8_t	*p, *end;
	uint8_t		 pend[4];
	unsigned	 npend, ipend;
};
void	 pj_sit_init(struct pj_sit *, const uint8_t *p, size_t len);
int	 pj_sit_next(struct pj_sit *);

/*
 * A string value unescaped into buf (bufsz bytes, not NUL-terminated):
 * *outlen is its whole length.  CV_ERR_TOOLONG when it did not fit (buf
 * then holds its first bufsz bytes), CV_ERR_INVALID for a non-string.
 * pj_str_eq and pj_str_prefix compare exactly at any length.
 */
int	 pj_str(const struct pj_val *, char *buf, size_t bufsz,
	    size_t *outlen) CV_WUR;
/* 1 if the string value is exactly s[0..len), 0 otherwise. */
int	 pj_str_eq(const struct pj_val *, const char *s, size_t len);
/* 1 if the string value starts with s[0..len), 0 otherwise. */
int	 pj_str_prefix(const struct pj_val *, const char *s, size_t len);

#endif
