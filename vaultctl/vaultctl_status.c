/*
 * vaultctl status: vaultd's version; each process, its pid, uptime,
 * restarts and sandbox, and the sandbox layers a child runs without.
 * vaultctl wait: until vaultd is ready (and the vault unlocked).
 * vaultctl debug probe: test mode only, make a child misbehave.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/version.h"
#include "vaultctl/vaultctl.h"

#define STATUS_GAPS_MAX	8	/* MSG_CTL_STATUS_ANS: a8 */

/* A sandbox layer a child runs without, and why (vaultd's words). */
struct gap {
	char	proc[16], layer[32], why[128];
};

struct proc {
	char		name[16], state[16], last_exit[160];
	uint64_t	pid, uptime, restarts, uid;
	int64_t		seccomp, nnp;
	int		chroot, netns, mntns;
};

static int
proc_get(struct msg_rd *list, struct proc *p)
{
	struct msg_rd	rd;
	int		r;

	if ((r = msg_get_array(list, &rd, 12)) != 0)
		return r;
	if (rd.n != 12)
		return CV_ERR_MSG_COUNT;
	if ((r = msg_get_strbuf(&rd, p->name, sizeof(p->name))) != 0 ||
	    (r = msg_get_u64(&rd, &p->pid)) != 0 ||
	    (r = msg_get_u64(&rd, &p->uptime)) != 0 ||
	    (r = msg_get_u64(&rd, &p->restarts)) != 0 ||
	    (r = msg_get_strbuf(&rd, p->state, sizeof(p->state))) != 0 ||
	    (r = msg_get_i64(&rd, &p->seccomp)) != 0 ||
	    (r = msg_get_i64(&rd, &p->nnp)) != 0 ||
	    (r = msg_get_u64(&rd, &p->uid)) != 0 ||
	    (r = msg_get_bool(&rd, &p->chroot)) != 0 ||
	    (r = msg_get_bool(&rd, &p->netns)) != 0 ||
	    (r = msg_get_bool(&rd, &p->mntns)) != 0 ||
	    (r = msg_get_strbuf(&rd, p->last_exit, sizeof(p->last_exit))) != 0)
		return r;
	return msg_rd_done(&rd);
}

/* The sandbox layers missing, after the processes: [[proc, layer, why]]. */
static int
gaps_get(struct msg_rd *rd, struct gap *gaps, size_t *n)
{
	struct msg_rd	list, g;
	int		r;

	*n = 0;
	if ((r = msg_get_array(rd, &list, STATUS_GAPS_MAX)) != 0)
		return r;
	while (*n < list.n) {
		if ((r = msg_get_array(&list, &g, 3)) != 0)
			return r;
		if (g.n != 3)
			return CV_ERR_MSG_COUNT;
		if ((r = msg_get_strbuf(&g, gaps[*n].proc,
		    sizeof(gaps[*n].proc))) != 0 ||
		    (r = msg_get_strbuf(&g, gaps[*n].layer,
		    sizeof(gaps[*n].layer))) != 0 ||
		    (r = msg_get_strbuf(&g, gaps[*n].why,
		    sizeof(gaps[*n].why))) != 0 ||
		    (r = msg_rd_done(&g)) != 0)
			return r;
		(*n)++;
	}
	return msg_rd_done(&list);
}

/* Whether vaultd said name runs without layer. */
static int
gap_has(const struct gap *gaps, size_t n, const char *name,
    const char *layer)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(gaps[i].proc, name) == 0 &&
		    strcmp(gaps[i].layer, layer) == 0)
			return 1;
	return 0;
}

/*
 * netd's Landlock is not in its status answer: vaultd names it missing
 * when the kernel has none, and netd up without it had no other way.
 */
static int
proc_landlock(const struct proc *p, const struct gap *gaps, size_t ngaps)
{
	return strcmp(p->name, "netd") == 0 && strcmp(p->state, "up") == 0 &&
	    !gap_has(gaps, ngaps, p->name, "Landlock");
}

static void
sandbox_text(const struct proc *p, int landlock, char *buf, size_t len)
{
	if (strcmp(p->name, "vaultd") == 0)
		snprintf(buf, len, "supervisor, no seccomp, nnp");
	else if (strcmp(p->state, "up") != 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "seccomp=%s nnp=%lld uid=%llu%s%s%s%s",
		    p->seccomp == 2 ? "filter" : p->seccomp == 0 ? "OFF" :
		    "?", (long long)p->nnp, (unsigned long long)p->uid,
		    p->chroot ? " chroot" : "", p->netns ? " netns" : "",
		    p->mntns ? " mntns" : "", landlock ? " landlock" : "");
}

/* What vaultd said p runs without: [{"layer", "why"}...]. */
static json_t *
gaps_json(const struct proc *p, const struct gap *gaps, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(gaps[i].proc, p->name) == 0)
			json_array_append_new(a, json_pack("{s:s, s:s}",
			    "layer", gaps[i].layer, "why", gaps[i].why));
	return a;
}

int
cmd_status(struct vaultctl *vc, int argc, char **argv)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list;
	struct proc	 procs[8];
	struct gap	 gaps[STATUS_GAPS_MAX];
	json_t		*jprocs = NULL;
	char		 home[4096], sb[128], vault[16], version[33];
	char		 budgets[513];
	int64_t		 cpulat;
	int		 testmode, r;
	size_t		 ngaps = 0, i;
	uint32_t	 n;

	if (argc != 1)
		return vaultctl_fail(vc, "usage: vaultctl status",
		    CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "status", r);
	msg_begin(&w, MSG_CTL_STATUS_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_STATUS_ANS, &m)) != 0)
		return vaultctl_fail(vc, "status", r);
	if ((r = msg_get_strbuf(&m.rd, home, sizeof(home))) != 0 ||
	    (r = msg_get_bool(&m.rd, &testmode)) != 0 ||
	    (r = msg_get_strbuf(&m.rd, vault, sizeof(vault))) != 0 ||
	    (r = msg_get_array(&m.rd, &list, 8)) != 0)
		goto bad;
	for (n = 0; n < list.n; n++)
		if ((r = proc_get(&list, &procs[n])) != 0)
			goto bad;
	if ((r = msg_rd_done(&list)) != 0 ||
	    (r = msg_get_strbuf(&m.rd, version, sizeof(version))) != 0 ||
	    (r = gaps_get(&m.rd, gaps, &ngaps)) != 0 ||
	    (r = msg_get_i64(&m.rd, &cpulat)) != 0 ||
	    (r = msg_get_strbuf(&m.rd, budgets, sizeof(budgets))) != 0 ||
	    (r = msg_rd_done(&m.rd)) != 0)
		goto bad;
	msg_clear(&m);
	if (cpulat < -1 || cpulat > 1000000) {
		r = CV_ERR_MSG_LENGTH;
		goto bad_cleared;
	}

	if (vc->json) {
		jprocs = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(jprocs, json_pack("{s:s, s:s, "
			    "s:I, s:I, s:I, s:{s:I, s:I, s:I, s:b, s:b, s:b, "
			    "s:b}, s:o, s:s}", "name", procs[i].name, "state",
			    procs[i].state, "pid", (json_int_t)procs[i].pid,
			    "uptime_s", (json_int_t)procs[i].uptime,
			    "restarts", (json_int_t)procs[i].restarts,
			    "sandbox", "seccomp", (json_int_t)procs[i].seccomp,
			    "no_new_privs", (json_int_t)procs[i].nnp, "uid",
			    (json_int_t)procs[i].uid, "chroot",
			    procs[i].chroot, "netns", procs[i].netns, "mntns",
			    procs[i].mntns, "landlock",
			    proc_landlock(&procs[i], gaps, ngaps), "missing",
			    gaps_json(&procs[i], gaps, ngaps), "last_exit",
			    procs[i].last_exit));
		vaultctl_print_json(json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, "
		    "s:o, s:o}", "version", version, "vaultctl_version",
		    CLOBVAULT_VERSION, "home", home, "testmode", testmode,
		    "vault", vault, "processes", jprocs, "cpu_latency_us",
		    cpulat >= 0 ? json_integer(cpulat) : json_null(),
		    "budgets", budgets[0] != '\0' ? json_string(budgets) :
		    json_null()));
		return EXIT_OK;
	}
	printf("version vaultd %s, vaultctl %s\nhome %s%s\nvault %s\n",
	    version, CLOBVAULT_VERSION, home, testmode ? " (test mode)" : "",
	    vault);
	printf("%-8s %-8s %7s %9s %8s  %s\n", "PROCESS", "STATE", "PID",
	    "UPTIME", "RESTARTS", "SANDBOX");
	for (i = 0; i < n; i++) {
		sandbox_text(&procs[i], proc_landlock(&procs[i], gaps, ngaps),
		    sb, sizeof(sb));
		printf("%-8s %-8s %7llu %8llus %8llu  %s\n", procs[i].name,
		    procs[i].state, (unsigned long long)procs[i].pid,
		    (unsigned long long)procs[i].uptime,
		    (unsigned long long)procs[i].restarts, sb);
		if (procs[i].last_exit[0])
			printf("%-8s last exit: %s\n", "", procs[i].last_exit);
	}
	for (i = 0; i < ngaps; i++)
		printf("%s: no %s (%s)\n", gaps[i].proc, gaps[i].layer,
		    gaps[i].why);
	if (cpulat >= 0)
		printf("cpu-latency: idle cores kept within %lld us of "
		    "waking\n", (long long)cpulat);
	if (budgets[0] != '\0')
		printf("%s\n", budgets);
	return EXIT_OK;
 bad:
	msg_clear(&m);
 bad_cleared:
	return vaultctl_fail(vc, "status: bad answer from vaultd", r);
}

int
cmd_debug(struct vaultctl *vc, int argc, char **argv)
{
	struct msg_w	w;
	struct msg	m;
	int		r;

	if (argc != 4 || strcmp(argv[1], "probe") != 0)
		return vaultctl_fail(vc, "usage: vaultctl debug probe "
		    "signerd|netd open|socket|execve|ptrace|garbage|oversize",
		    CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "debug probe", r);
	msg_begin(&w, MSG_CTL_PROBE_REQ, ++vc->next_id);
	msg_put_str(&w, argv[2]);
	msg_put_str(&w, argv[3]);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_PROBE_ANS, &m)) != 0)
		return vaultctl_fail(vc, "debug probe", r);
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:b}", "sent", 1));
	else
		printf("probe %s sent to %s\n", argv[3], argv[2]);
	return EXIT_OK;
}

/*
 * One status query on a fresh connection: the vault's state and whether
 * every child is up.  CV_ERR_NOTRUNNING when vaultd does not answer.
 */
static int
wait_query(struct vaultctl *vc, char *vault, size_t vlen, int *children_up)
{
	struct msg_w	 w;
	struct msg	 m;
	struct msg_rd	 list;
	struct proc	 p;
	char		 home[4096];
	uint32_t	 i;
	int		 testmode, r;

	if (vc->chan.fd != -1)
		chan_free(&vc->chan);
	vc->chan.fd = -1;
	if ((r = vaultctl_connect(vc)) != 0)
		return r;
	msg_begin(&w, MSG_CTL_STATUS_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_STATUS_ANS, &m)) != 0)
		return r;
	*children_up = 1;
	if ((r = msg_get_strbuf(&m.rd, home, sizeof(home))) != 0 ||
	    (r = msg_get_bool(&m.rd, &testmode)) != 0 ||
	    (r = msg_get_strbuf(&m.rd, vault, vlen)) != 0 ||
	    (r = msg_get_array(&m.rd, &list, 8)) != 0)
		goto out;
	for (i = 0; i < list.n; i++) {
		if ((r = proc_get(&list, &p)) != 0)
			goto out;
		if (strcmp(p.name, "vaultd") != 0 && strcmp(p.state, "up") != 0)
			*children_up = 0;
	}
 out:
	msg_clear(&m);
	return r;
}

static const struct option wait_opts[] = {
	{ "unlocked",	no_argument,	   NULL, 'u' },
	{ "timeout",	required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

/*
 * vaultctl wait [--unlocked] [--timeout S]: until vaultd answers with
 * its children up (and, with --unlocked, the vault unlocked), polling
 * every 100 ms, for at most S seconds (default 60).
 */
int
cmd_wait(struct vaultctl *vc, int argc, char **argv)
{
	static const char	*use = "usage: vaultctl wait [--unlocked] "
	    "[--timeout SECONDS]";
	struct timespec		 ts = { 0, 100000000L };
	char			 vault[16] = "", *end;
	long			 secs = 60;
	int64_t			 ticks;
	int			 ch, unlocked = 0, up = 0, r = CV_ERR_NOTRUNNING;

	if (vaultctl_opt_begin(vc, argc, argv, wait_opts) != 0)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	while ((ch = vaultctl_opt_next(argc, argv, wait_opts)) != -1) {
		switch (ch) {
		case 'u':
			unlocked = 1;
			break;
		case 't':
			secs = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || secs < 0 ||
			    secs > 86400)
				return vaultctl_fail(vc, use, CV_ERR_USAGE);
			break;
		default:
			return vaultctl_fail(vc, use, CV_ERR_USAGE);
		}
	}
	if (optind != argc)
		return vaultctl_fail(vc, use, CV_ERR_USAGE);
	vc->timeout_ms = 5000;
	vc->again_ms = 1;
	for (ticks = 0; ticks <= (int64_t)secs * 10; ticks++) {
		r = wait_query(vc, vault, sizeof(vault), &up);
		if (r == 0 && up && (!unlocked ||
		    strcmp(vault, "unlocked") == 0)) {
			if (vc->json)
				vaultctl_print_json(json_pack("{s:b, s:s}",
				    "ok", 1, "vault", vault));
			else
				printf("vaultd ready, vault %s\n", vault);
			return EXIT_OK;
		}
		nanosleep(&ts, NULL);
	}
	if (r != 0)
		return vaultctl_fail(vc, "wait: vaultd did not answer", r);
	snprintf(vc->errtext, sizeof(vc->errtext), "after %ld s: %s, vault "
	    "%s", secs, up ? "children up" : "children not up", vault);
	return vaultctl_fail(vc, "wait", !up ? CV_ERR_NOTRUNNING :
	    strcmp(vault, "none") == 0 ? CV_ERR_NOTFOUND : CV_ERR_LOCKED);
}
