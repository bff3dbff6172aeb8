/*
 * harden_process (common/privsep.h), apart from the sandbox: vaultd and
 * vaultctl call only this, and so link no libseccomp.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/log.h"
#include "common/privsep.h"

void
harden_process(void)
{
	struct rlimit	rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
}
