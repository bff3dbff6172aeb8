/*
 * Fuzz the policy parser as vaultd and vaultctl run it on a file an
 * operator wrote.  A refused text must say why, at a place in it.  A
 * policy that parses must say the same again: its lines written in
 * their canonical forms parse to the same forms, and neither differs
 * from the other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "policy/policy_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The canonical forms of pol's lines, settings first, one a line. */
static char *
canon_text(const struct policy *pol, size_t *len)
{
	char	*t, *p;
	size_t	 i, n = 1;

	for (i = 0; i < pol->nsettings; i++)
		n += strlen(pol->settings[i].canon) + 1;
	for (i = 0; i < pol->nrules; i++)
		n += strlen(pol->rules[i].canon) + 1;
	if ((t = p = malloc(n)) == NULL)
		return NULL;
	for (i = 0; i < pol->nsettings; i++)
		p = stpcpy(stpcpy(p, pol->settings[i].canon), "\n");
	for (i = 0; i < pol->nrules; i++)
		p = stpcpy(stpcpy(p, pol->rules[i].canon), "\n");
	*len = (size_t)(p - t);
	return t;
}

static void
again(const struct policy *pol)
{
	struct policy_errors	 errs;
	struct policy		*p2;
	char			*t;
	size_t			 i, len;
	int			 r;

	if ((t = canon_text(pol, &len)) == NULL)
		return;
	if (len > POLICY_MAX_TEXT) {
		free(t);
		return;
	}
	if ((r = policy_parse(t, len, &p2, &errs)) == CV_ERR_NOMEM) {
		free(t);
		return;
	}
	if (r != 0 || p2->nrules != pol->nrules ||
	    p2->nsettings != pol->nsettings)
		abort();
	for (i = 0; i < pol->nrules; i++)
		if (strcmp(p2->rules[i].canon, pol->rules[i].canon) != 0 ||
		    strcmp(p2->rules[i].id, pol->rules[i].id) != 0)
			abort();
	if (p2->skew_s != pol->skew_s ||
	    p2->approval_timeout_s != pol->approval_timeout_s ||
	    p2->change_k != pol->change_k ||
	    policy_diff(pol, p2, NULL, NULL) != 0 ||
	    policy_diff(p2, pol, NULL, NULL) != 0)
		abort();
	policy_free(p2);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct policy_errors	 errs;
	struct policy		*pol;
	struct policy_rule_info	 ri;
	size_t			 i;
	int			 r;

	if (!init) {
		if (sodium_init() < 0)
			abort();
		init = 1;
	}
	r = policy_parse((const char *)data, size, &pol, &errs);
	if (r == CV_ERR_NOMEM)
		return 0;
	if (r != 0) {
		if (pol != NULL || errs.n == 0)
			abort();
		for (i = 0; i < errs.n; i++)
			if (errs.e[i].line < 1 || errs.e[i].col < 1 ||
			    errs.e[i].msg[0] == '\0')
				abort();
		return 0;
	}
	if (errs.n != 0 || policy_diff(pol, pol, NULL, NULL) != 0)
		abort();
	for (i = 0; i < policy_nrules(pol); i++)
		if (policy_rule(pol, i, &ri) != 0 || ri.canon == NULL)
			abort();
	if (policy_rule(pol, i, &ri) != CV_ERR_NOTFOUND)
		abort();
	again(pol);
	policy_free(pol);
	return 0;
}
