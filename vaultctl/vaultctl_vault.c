/*
 * vaultctl init, unlock, lock, passwd, rekey: the vault's life cycle.
 * Passphrases come from a private file or the terminal, never argv.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/home.h"
#include "common/secret_io.h"
#include "common/vault_crypto.h"
#include "common/vault_fmt.h"
#include "vaultctl/vaultctl.h"

int
vaultctl_cred_get(struct vaultctl *vc, const char *passfile, const char *keyfile,
    const char *prompt, int confirm, int create, struct secret *out,
    int *is_keyfile)
{
	struct secret	text;
	int		fd, r;

	memset(out, 0, sizeof(*out));
	*is_keyfile = keyfile != NULL;
	if (passfile != NULL)
		return secret_read_file(passfile, out, VAULT_MAX_PASS);
	if (keyfile == NULL) {
		r = secret_read_tty(prompt, confirm, out, VAULT_MAX_PASS);
		if (r == CV_ERR_NOTFOUND)
			snprintf(vc->errtext, sizeof(vc->errtext), "no terminal "
			    "to ask on: use --passphrase-file or --keyfile");
		return r == CV_ERR_NOTFOUND ? CV_ERR_USAGE : r;
	}
	if (create && access(keyfile, F_OK) == -1 && errno == ENOENT) {
		if ((r = vault_crypto_keyfile_new(&text)) != 0)
			return r;
		fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		/* its name on disk too: the vault it opens will be */
		if (fd == -1 || write(fd, text.p, text.len) !=
		    (ssize_t)text.len || fsync(fd) == -1 ||
		    home_sync_parent(keyfile) == -1) {
			snprintf(vc->errtext, sizeof(vc->errtext), "cannot "
			    "write keyfile %s: %s", keyfile, strerror(errno));
			if (fd != -1) {
				close(fd);
				unlink(keyfile);
			}
			secret_free(&text);
			return CV_ERR_IO;
		}
		close(fd);
		/* kept_keyfile says so once vaultd took it, or removes it */
		vc->made_keyfile = keyfile;
	} else if ((r = secret_read_file(keyfile, &text, 256)) != 0)
		return r;
	r = vault_crypto_keyfile_key(text.p, text.len, out);
	secret_free(&text);
	if (r != 0)
		snprintf(vc->errtext, sizeof(vc->errtext), "%s is not a "
		    "clobvault keyfile (64 hex digits)", keyfile);
	return r;
}

/*
 * The outcome r of the change a keyfile made this run was for.  Taken:
 * the advice to keep a copy.  Refused by vaultd (its error answer): the
 * keyfile opens nothing and is removed.  No answer (vaultd gone, the
 * wait over), or signerd gone during the change (vaultd's answer says
 * so, "not running": the vault file may be written, sealed to it): it
 * may be the vault's now, so it stays, and is named.
 */
static void
kept_keyfile(struct vaultctl *vc, int r)
{
	const char	*kf = vc->made_keyfile;

	if (kf == NULL)
		return;
	vc->made_keyfile = NULL;
	if (r == 0) {
		if (!vc->json)
			fprintf(stderr, "vaultctl: wrote a new keyfile %s; keep "
			    "a copy offline: without it the vault is lost\n",
			    kf);
	} else if (vc->answered && r != CV_ERR_NOTRUNNING) {
		if (unlink(kf) == -1 || home_sync_parent(kf) == -1)
			fprintf(stderr, "vaultctl: cannot remove the unused "
			    "keyfile %s: %s\n", kf, strerror(errno));
	} else
		fprintf(stderr, "vaultctl: kept the new keyfile %s: %s, and it "
		    "may be the vault's now\n", kf, vc->answered ? "signerd "
		    "stopped during the change, which may be made" :
		    "vaultd did not answer");
}

static const struct {
	enum vault_kdf_level	 l;
	const char		*name;
} kdf_levels[] = {
	{ VAULT_KDF_INTERACTIVE, "interactive" },
	{ VAULT_KDF_MODERATE, "moderate" },
	{ VAULT_KDF_SENSITIVE, "sensitive" },
	{ VAULT_KDF_MIN, "min" },
};

/*
 * What an Argon2id cost pays, said with its level's name when it has one:
 * "moderate: 256 MiB, 3 passes", "64 MiB, 2 passes".
 */
static void
kdf_cost(const char *name, uint64_t ops, uint64_t mem, char *buf,
    size_t len)
{
	char	m[32];

	if (mem >= (1ULL << 30) && mem % (1ULL << 30) == 0)
		snprintf(m, sizeof(m), "%llu GiB",
		    (unsigned long long)(mem >> 30));
	else if (mem >= (1ULL << 20) && mem % (1ULL << 20) == 0)
		snprintf(m, sizeof(m), "%llu MiB",
		    (unsigned long long)(mem >> 20));
	else if (mem % 1024 == 0)
		snprintf(m, sizeof(m), "%llu KiB",
		    (unsigned long long)(mem >> 10));
	else
		snprintf(m, sizeof(m), "%llu bytes", (unsigned long long)mem);
	snprintf(buf, len, "%s%s%s, %llu pass%s", name != NULL ? name : "",
	    name != NULL ? ": " : "", m, (unsigned long long)ops,
	    ops == 1 ? "" : "es");
}

/* The cost of a level named on the command line (vaultd checks it). */
static const char *
kdf_of_level(const char *level, char *buf, size_t len)
{
	uint64_t	o, m;
	size_t		i;

	for (i = 0; i < sizeof(kdf_levels) / sizeof(kdf_levels[0]); i++)
		if (strcmp(kdf_levels[i].name, level) == 0 &&
		    vault_kdf_params(kdf_levels[i].l, &o, &m) == 0) {
			kdf_cost(level, o, m, buf, len);
			return buf;
		}
	snprintf(buf, len, "%s", level);
	return buf;
}

/*
 * The Argon2id cost of the vault in $CLOBVAULT_HOME, read from its
 * header: its level and what it pays, "" for a keyfile's vault (no
 * Argon2id), NULL when it cannot be told (no vault, or not readable by
 * this user).
 */
static const char *
kdf_of_vault(char *buf, size_t len)
{
	struct vault	 v;
	uint8_t		*file = NULL;
	char		 home[4096], path[4200];
	const char	*name = NULL, *level = NULL;
	uint64_t	 o, m;
	size_t		 flen, i;

	memset(&v, 0, sizeof(v));
	if (home_path(home, sizeof(home)) != 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/vault", home);
	if (vault_fmt_read(path, &file, &flen) == 0 &&
	    vault_fmt_parse(file, flen, &v) == 0) {
		if (v.hdr.opslimit == 0)
			name = "";
		else {
			for (i = 0; level == NULL && i < sizeof(kdf_levels) /
			    sizeof(kdf_levels[0]); i++)
				if (vault_kdf_params(kdf_levels[i].l, &o,
				    &m) == 0 && o == v.hdr.opslimit &&
				    m == v.hdr.memlimit)
					level = kdf_levels[i].name;
			kdf_cost(level, v.hdr.opslimit, v.hdr.memlimit, buf,
			    len);
			name = buf;
		}
	}
	vault_free(&v);
	free(file);
	return name;
}

/*
 * The Argon2id progress line, on a terminal only (scripts and tests see
 * nothing): what is being paid and, rewritten every second while vaultd
 * derives the key, for how long.
 */
struct kdf_progress {
	int		on;		/* 0: no line, 1: begun, 2: shown */
	char		cost[256];	/* "": not known */
	struct timespec	start;
};

static void
kdf_progress_show(struct kdf_progress *p, int last)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - p->start.tv_sec) * 1000 +
	    (now.tv_nsec - p->start.tv_nsec) / 1000000;
	fprintf(stderr, "%sderiving the key (Argon2id%s%s): ",
	    p->on > 1 ? "\r" : "", p->cost[0] ? ", " : "", p->cost);
	if (last)
		fprintf(stderr, "%lld.%lld s\n", ms / 1000, ms % 1000 / 100);
	else
		fprintf(stderr, "%lld s", ms / 1000);
	p->on = 2;
}

static void
kdf_progress_tick(void *arg)
{
	kdf_progress_show(arg, 0);
}

/* cost NULL: not known; "": no Argon2id to pay (a keyfile), no line. */
static void
kdf_progress_begin(struct vaultctl *vc, struct kdf_progress *p,
    const char *cost)
{
	memset(p, 0, sizeof(*p));
	if (!isatty(STDERR_FILENO) || (cost != NULL && cost[0] == '\0'))
		return;
	snprintf(p->cost, sizeof(p->cost), "%s", cost != NULL ? cost : "");
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->on = 1;
	kdf_progress_show(p, 0);
	vc->tick = kdf_progress_tick;
	vc->tick_arg = p;
}

/* The answer came: the time it took, and the line ends. */
static void
kdf_progress_end(struct vaultctl *vc, struct kdf_progress *p)
{
	vc->tick = NULL;
	vc->tick_arg = NULL;
	if (p->on)
		kdf_progress_show(p, 1);
}

static int
done(struct vaultctl *vc, const char *what, const char *human)
{
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:b}", "result", what,
		    "ok", 1));
	else
		printf("%s\n", human);
	return EXIT_OK;
}

static const struct option cred_opts[] = {
	{ "passphrase-file",	required_argument, NULL, 'p' },
	{ "keyfile",		required_argument, NULL, 'k' },
	{ "kdf",		required_argument, NULL, 'K' },
	{ "new-passphrase-file", required_argument, NULL, 'P' },
	{ "new-keyfile",	required_argument, NULL, 'N' },
	{ NULL, 0, NULL, 0 }
};

struct cred_args {
	const char	*pass, *key, *kdf, *newpass, *newkey;
};

static int
cred_args(struct vaultctl *vc, int argc, char **argv, struct cred_args *a,
    int allow_new)
{
	int	ch;

	memset(a, 0, sizeof(*a));
	a->kdf = "";
	if (vaultctl_opt_begin(vc, argc, argv, cred_opts) != 0)
		return -1;
	while ((ch = vaultctl_opt_next(argc, argv, cred_opts)) != -1) {
		switch (ch) {
		case 'p': a->pass = optarg; break;
		case 'k': a->key = optarg; break;
		case 'K': a->kdf = optarg; break;
		case 'P': a->newpass = optarg; break;
		case 'N': a->newkey = optarg; break;
		default: return -1;
		}
	}
	if (!allow_new && (a->newpass || a->newkey)) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--new-passphrase-"
		    "file and --new-keyfile are for passwd");
		return -1;
	}
	if ((a->pass && a->key) || (a->newpass && a->newkey)) {
		snprintf(vc->errtext, sizeof(vc->errtext), "a passphrase file "
		    "or a keyfile, not both");
		return -1;
	}
	if (optind != argc) {
		/* not echoed: it may be a passphrase typed in the wrong place */
		snprintf(vc->errtext, sizeof(vc->errtext), "a word this command "
		    "does not take (secrets go in --passphrase-file FILE, "
		    "--keyfile FILE or at the prompt)");
		return -1;
	}
	return 0;
}

int
cmd_init(struct vaultctl *vc, int argc, char **argv)
{
	struct cred_args	a;
	struct kdf_progress	kp;
	struct secret		cred;
	struct msg_w		w;
	struct msg		m;
	char			cost[128];
	int			keyfile, r;

	if (cred_args(vc, argc, argv, &a, 0) != 0)
		return vaultctl_fail(vc, "usage: vaultctl init "
		    "[--passphrase-file F | --keyfile F] "
		    "[--kdf interactive|moderate|sensitive]", CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "init", r);
	if ((r = vaultctl_cred_get(vc, a.pass, a.key, "New vault passphrase: ", 1, 1,
	    &cred, &keyfile)) != 0)
		return vaultctl_fail(vc, "init", r);
	msg_begin(&w, MSG_CTL_INIT_REQ, ++vc->next_id);
	msg_put_bin(&w, cred.p, cred.len);
	msg_put_bool(&w, keyfile);
	msg_put_str(&w, a.kdf);
	secret_free(&cred);
	kdf_progress_begin(vc, &kp, keyfile ? "" : kdf_of_level(a.kdf[0] !=
	    '\0' ? a.kdf : "moderate", cost, sizeof(cost)));
	r = vaultctl_call(vc, &w, MSG_CTL_INIT_ANS, &m);
	kdf_progress_end(vc, &kp);
	kept_keyfile(vc, r);
	if (r != 0)
		return vaultctl_fail(vc, "init", r);
	msg_clear(&m);
	return done(vc, "initialized", "vault created and unlocked");
}

int
cmd_unlock(struct vaultctl *vc, int argc, char **argv)
{
	struct cred_args	a;
	struct kdf_progress	kp;
	struct secret		cred;
	struct msg_w		w;
	struct msg		m;
	char			cost[128];
	int			keyfile, already, r;

	if (cred_args(vc, argc, argv, &a, 0) != 0 || a.kdf[0] != '\0')
		return vaultctl_fail(vc, "usage: vaultctl unlock "
		    "[--passphrase-file F | --keyfile F]", CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "unlock", r);
	if ((r = vaultctl_cred_get(vc, a.pass, a.key, "Vault passphrase: ", 0, 0,
	    &cred, &keyfile)) != 0)
		return vaultctl_fail(vc, "unlock", r);
	msg_begin(&w, MSG_CTL_UNLOCK_REQ, ++vc->next_id);
	msg_put_bin(&w, cred.p, cred.len);
	msg_put_bool(&w, keyfile);
	secret_free(&cred);
	kdf_progress_begin(vc, &kp, keyfile || !isatty(STDERR_FILENO) ? "" :
	    kdf_of_vault(cost, sizeof(cost)));
	r = vaultctl_call(vc, &w, MSG_CTL_UNLOCK_ANS, &m);
	kdf_progress_end(vc, &kp);
	if (r != 0)
		return vaultctl_fail(vc, "unlock", r);
	r = msg_get_bool(&m.rd, &already);
	msg_clear(&m);
	if (r != 0)
		return vaultctl_fail(vc, "unlock", r);
	return done(vc, already ? "already unlocked" : "unlocked",
	    already ? "the vault was already unlocked" : "vault unlocked");
}

int
cmd_lock(struct vaultctl *vc, int argc, char **argv)
{
	struct msg_w	w;
	struct msg	m;
	int		already, r;

	if (argc != 1)
		return vaultctl_fail(vc, "usage: vaultctl lock", CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "lock", r);
	msg_begin(&w, MSG_CTL_LOCK_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_LOCK_ANS, &m)) != 0)
		return vaultctl_fail(vc, "lock", r);
	r = msg_get_bool(&m.rd, &already);
	msg_clear(&m);
	if (r != 0)
		return vaultctl_fail(vc, "lock", r);
	return done(vc, already ? "already locked" : "locked",
	    already ? "the vault was already locked" : "vault locked");
}

int
cmd_passwd(struct vaultctl *vc, int argc, char **argv)
{
	struct cred_args	 a;
	struct kdf_progress	 kp;
	struct secret		 oldc, newc;
	struct msg_w		 w;
	struct msg		 m;
	const char		*cur, *old, *new;
	char			 level[100], cost[100], both[220];
	int			 oldkey, newkey, same, r;

	if (cred_args(vc, argc, argv, &a, 1) != 0)
		return vaultctl_fail(vc, "usage: vaultctl passwd "
		    "[--passphrase-file F | --keyfile F] "
		    "[--new-passphrase-file F | --new-keyfile F] [--kdf L]",
		    CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "passwd", r);
	if ((r = vaultctl_cred_get(vc, a.pass, a.key, "Current passphrase: ", 0, 0,
	    &oldc, &oldkey)) != 0)
		return vaultctl_fail(vc, "passwd", r);
	if ((r = vaultctl_cred_get(vc, a.newpass, a.newkey, "New passphrase: ", 1, 1,
	    &newc, &newkey)) != 0) {
		secret_free(&oldc);
		return vaultctl_fail(vc, "passwd", r);
	}
	/*
	 * The same credential again changes nothing, unless --kdf asks for
	 * a new Argon2id cost.  Compared here, where both are in guarded
	 * memory; only their lengths are compared in variable time.
	 */
	same = oldkey == newkey && oldc.len == newc.len &&
	    sodium_memcmp(oldc.p, newc.p, oldc.len) == 0;
	if (same && (newkey || a.kdf[0] == '\0')) {
		secret_free(&oldc);
		secret_free(&newc);
		snprintf(vc->errtext, sizeof(vc->errtext), "the new %s is the "
		    "old one: nothing changed", newkey ? "keyfile" :
		    "passphrase");
		return vaultctl_fail(vc, "passwd", CV_ERR_USAGE);
	}
	msg_begin(&w, MSG_CTL_PASSWD_REQ, ++vc->next_id);
	msg_put_bin(&w, oldc.p, oldc.len);
	msg_put_bin(&w, newc.p, newc.len);
	msg_put_bool(&w, newkey);
	msg_put_str(&w, a.kdf);
	secret_free(&oldc);
	secret_free(&newc);
	new = "";
	if (isatty(STDERR_FILENO)) {
		/*
		 * The old credential at the vault's cost, the new at --kdf's,
		 * else at the vault's (moderate after a keyfile).
		 */
		cur = kdf_of_vault(level, sizeof(level));
		old = oldkey ? "" : cur;
		if (newkey)
			new = "";
		else if (a.kdf[0] != '\0' || (cur != NULL && cur[0] == '\0'))
			new = kdf_of_level(a.kdf[0] != '\0' ? a.kdf :
			    "moderate", cost, sizeof(cost));
		else
			new = cur;
		if (old != NULL && old[0] != '\0' && new != NULL &&
		    new[0] != '\0' && strcmp(old, new) != 0) {
			snprintf(both, sizeof(both), "%s, then %s", old, new);
			new = both;
		} else if (new == NULL || new[0] == '\0')
			new = old;
	}
	kdf_progress_begin(vc, &kp, new);
	r = vaultctl_call(vc, &w, MSG_CTL_PASSWD_ANS, &m);
	kdf_progress_end(vc, &kp);
	kept_keyfile(vc, r);
	if (r != 0)
		return vaultctl_fail(vc, "passwd", r);
	msg_clear(&m);
	if (same)
		return done(vc, "changed", "passphrase kept, its Argon2id cost "
		    "set; records untouched");
	return done(vc, "changed", "passphrase changed; records untouched");
}

/*
 * A new master key: every record resealed under it.  The credential is
 * the current one and stays what unlocks the vault, at the same cost.
 */
int
cmd_rekey(struct vaultctl *vc, int argc, char **argv)
{
	struct cred_args	 a;
	struct kdf_progress	 kp;
	struct secret		 cred;
	struct msg_w		 w;
	struct msg		 m;
	uint64_t		 n;
	char			 cost[128], text[128];
	int			 keyfile, r;

	if (cred_args(vc, argc, argv, &a, 0) != 0 || a.kdf[0] != '\0')
		return vaultctl_fail(vc, "usage: vaultctl rekey "
		    "[--passphrase-file F | --keyfile F]", CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "rekey", r);
	if ((r = vaultctl_cred_get(vc, a.pass, a.key, "Current passphrase: ",
	    0, 0, &cred, &keyfile)) != 0)
		return vaultctl_fail(vc, "rekey", r);
	msg_begin(&w, MSG_CTL_REKEY_REQ, ++vc->next_id);
	msg_put_bin(&w, cred.p, cred.len);
	msg_put_bool(&w, keyfile);
	secret_free(&cred);
	/* Argon2id twice: to check the credential, to wrap the new key */
	kdf_progress_begin(vc, &kp, keyfile || !isatty(STDERR_FILENO) ? "" :
	    kdf_of_vault(cost, sizeof(cost)));
	r = vaultctl_call(vc, &w, MSG_CTL_REKEY_ANS, &m);
	kdf_progress_end(vc, &kp);
	if (r != 0)
		return vaultctl_fail(vc, "rekey", r);
	r = msg_get_u64(&m.rd, &n);
	msg_clear(&m);
	if (r != 0)
		return vaultctl_fail(vc, "rekey", r);
	if (vc->json) {
		vaultctl_print_json(json_pack("{s:s, s:b, s:I}", "result",
		    "rekeyed", "ok", 1, "records", (json_int_t)n));
		return EXIT_OK;
	}
	snprintf(text, sizeof(text), "rekey: every record resealed under a "
	    "new master key (%llu record%s)", (unsigned long long)n,
	    n == 1 ? "" : "s");
	return done(vc, "rekeyed", text);
}
