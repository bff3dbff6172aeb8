/*
 * vaultctl's options are matched by their whole name.  getopt_long takes
 * any unique prefix, so "--passphrase X" became "--passphrase-file X"
 * and X was printed in the "no such file" warning: every word is
 * checked here first, and getopt_long then sees only exact names.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vaultctl/vaultctl.h"

int
vaultctl_opt_begin(struct vaultctl *vc, int argc, char **argv,
    const struct option *opts)
{
	const struct option	*o;
	const char		*w, *eq;
	size_t			 len;
	int			 i;

	optind = 0;
	opterr = 0;		/* getopt's own messages would echo values */
	for (i = 1; i < argc; i++) {
		w = argv[i];
		if (strcmp(w, "--") == 0)
			break;
		if (w[0] != '-' || w[1] == '\0')
			continue;	/* a word, or "-" */
		if (w[1] != '-') {
			snprintf(vc->errtext, sizeof(vc->errtext), "unknown "
			    "option -%c (options are long: --name)", w[1]);
			return CV_ERR_USAGE;
		}
		w += 2;
		len = (eq = strchr(w, '=')) != NULL ? (size_t)(eq - w) :
		    strlen(w);
		for (o = opts; o->name != NULL; o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, w, len) == 0)
				break;
		/* the name only, never what follows '=' */
		if (o->name == NULL) {
			snprintf(vc->errtext, sizeof(vc->errtext), "unknown "
			    "option --%.*s", len > 40 ? 40 : (int)len, w);
			return CV_ERR_USAGE;
		}
		if (o->has_arg == no_argument && eq != NULL) {
			snprintf(vc->errtext, sizeof(vc->errtext), "--%s takes "
			    "no value", o->name);
			return CV_ERR_USAGE;
		}
		if (o->has_arg == required_argument && eq == NULL) {
			if (i + 1 == argc) {
				snprintf(vc->errtext, sizeof(vc->errtext),
				    "--%s needs a value", o->name);
				return CV_ERR_USAGE;
			}
			i++;	/* its value, whatever it looks like */
		}
	}
	optind = 0;
	return 0;
}

int
vaultctl_opt_next(int argc, char **argv, const struct option *opts)
{
	return getopt_long(argc, argv, "", opts, NULL);
}
