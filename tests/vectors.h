/*
 * The published test vectors (tests/vectors/clob_auth.json, a copy of the
 * shared vector file, which names its sources) and typed access to their
 * fields.  Include after cmocka.h; tests run from the repository root.
 */
#ifndef CV_TESTS_VECTORS_H
#define CV_TESTS_VECTORS_H

#include <stdint.h>

#include <jansson.h>

#define VECTORS	"tests/vectors/clob_auth.json"

/* The vector file, or NULL with the reason printed. */
static inline json_t *
vectors_load(void)
{
	json_error_t	 err;
	json_t		*root;

	if ((root = json_load_file(VECTORS, JSON_REJECT_DUPLICATES,
	    &err)) == NULL)
		print_error("%s:%d: %s\n", VECTORS, err.line, err.text);
	return root;
}

/* CMocka setup and teardown when the state is just the file. */
static inline int
vectors_setup(void **state)
{
	return (*state = vectors_load()) == NULL ? -1 : 0;
}

static inline int
vectors_teardown(void **state)
{
	json_decref(*state);
	return 0;
}

/* obj[key] as a string; the test fails when it is missing. */
static inline const char *
vec_str(json_t *obj, const char *key)
{
	const char	*s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		fail_msg("vector field \"%s\" missing", key);
	return s;
}

/* obj[key] as a non-negative integer; the test fails otherwise. */
static inline uint64_t
vec_u64(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		fail_msg("vector field \"%s\" missing", key);
	return (uint64_t)json_integer_value(v);
}

#endif
