/*
 * vaultctl init, unlock, lock, passwd, audit: the vault's life cycle.
 * Passphrases come from a private file or the terminal, never argv.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/home.h"
#include "common/secret_io.h"
#include "common/vault_crypto.h"
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
		if (fd == -1 || write(fd, text.p, text.len) !=
		    (ssize_t)text.len || fsync(fd) == -1) {
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
		if (!vc->json)
			fprintf(stderr, "vaultctl: wrote a new keyfile %s; keep "
			    "a copy offline: without it the vault is lost\n",
			    keyfile);
	} else if ((r = secret_read_file(keyfile, &text, 256)) != 0)
		return r;
	r = vault_crypto_keyfile_key(text.p, text.len, out);
	secret_free(&text);
	if (r != 0)
		snprintf(vc->errtext, sizeof(vc->errtext), "%s is not a "
		    "clobvault keyfile (64 hex digits)", keyfile);
	return r;
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
	struct secret		cred;
	struct msg_w		w;
	struct msg		m;
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
	if ((r = vaultctl_call(vc, &w, MSG_CTL_INIT_ANS, &m)) != 0)
		return vaultctl_fail(vc, "init", r);
	msg_clear(&m);
	return done(vc, "initialized", "vault created and unlocked");
}

int
cmd_unlock(struct vaultctl *vc, int argc, char **argv)
{
	struct cred_args	a;
	struct secret		cred;
	struct msg_w		w;
	struct msg		m;
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
	if ((r = vaultctl_call(vc, &w, MSG_CTL_UNLOCK_ANS, &m)) != 0)
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
	struct cred_args	a;
	struct secret		oldc, newc;
	struct msg_w		w;
	struct msg		m;
	int			oldkey, newkey, r;

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
	msg_begin(&w, MSG_CTL_PASSWD_REQ, ++vc->next_id);
	msg_put_bin(&w, oldc.p, oldc.len);
	msg_put_bin(&w, newc.p, newc.len);
	msg_put_bool(&w, newkey);
	msg_put_str(&w, a.kdf);
	secret_free(&oldc);
	secret_free(&newc);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_PASSWD_ANS, &m)) != 0)
		return vaultctl_fail(vc, "passwd", r);
	msg_clear(&m);
	return done(vc, "changed", "passphrase changed; records untouched");
}

/*
 * audit verify --anchor SEQ:HASH: the log must hold exactly that
 * checkpoint (kept elsewhere by the operator from `audit anchor`), so
 * the vault and the log rolled back together show too.  Read here from
 * the files themselves; vaultd checked the chain and the signatures.
 */
static int
anchor_check(const char *want, char *text, size_t len)
{
	struct audit_log	 log;
	struct audit_iter	*it = NULL;
	struct audit_rec	 rec;
	const char		*line, *colon;
	uint8_t			 h[AUDIT_HASH_LEN], kept[AUDIT_HASH_LEN];
	char			 home[4096], path[4200];
	uint64_t		 seq;
	size_t			 n;
	int			 r;

	/* SEQ:HASH as audit anchor prints it */
	if ((colon = strchr(want, ':')) == NULL ||
	    dec_decode_u64(want, (size_t)(colon - want), &seq) != 0 ||
	    seq == 0 || hex_decode(colon + 1, strlen(colon + 1), kept,
	    sizeof(kept), &n) != 0 || n != sizeof(kept))
		return CV_ERR_USAGE;
	if ((r = home_path(home, sizeof(home))) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/audit.log", home);
	if ((r = audit_log_scan(path, &log)) != 0)
		return r;
	if ((it = malloc(sizeof(*it))) == NULL)
		return CV_ERR_NOMEM;
	r = CV_ERR_TAMPERED;
	snprintf(text, len, "the log does not reach checkpoint %llu: it was "
	    "truncated or rolled back (with the vault, if audit verify "
	    "passed)", (unsigned long long)seq);
	if (audit_iter_open(it, &log, 1) != 0)
		goto out;
	while (audit_iter_next(it, &line, &n) == 1) {
		if (audit_record_parse(line, n, &rec) != 0 || rec.seq != seq)
			continue;
		audit_chain_hash(line, n, h);
		if (!audit_rec_is_checkpoint(&rec) ||
		    memcmp(h, kept, sizeof(h)) != 0) {
			snprintf(text, len, "record %llu (%s line %llu) is not "
			    "the checkpoint kept: the log was replaced",
			    (unsigned long long)seq, it->name,
			    (unsigned long long)it->line);
			goto out;
		}
		snprintf(text, len, "checkpoint %llu is in the log as kept "
		    "(%s line %llu)", (unsigned long long)seq, it->name,
		    (unsigned long long)it->line);
		r = 0;
		goto out;
	}
 out:
	audit_iter_close(it);
	free(it);
	return r;
}

int
cmd_audit(struct vaultctl *vc, int argc, char **argv)
{
	struct msg_w	 w;
	struct msg	 m;
	const char	*text, *want = NULL, *colon;
	size_t		 len;
	int64_t		 code;
	unsigned long	 tail = 20;
	char		*end, atext[300];
	json_t		*j;
	uint64_t	 mode;
	int		 r;

	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		mode = 1;
	else if (argc == 4 && strcmp(argv[1], "verify") == 0 &&
	    strcmp(argv[2], "--anchor") == 0) {
		mode = 1;
		want = argv[3];
	} else if (argc == 2 && strcmp(argv[1], "anchor") == 0)
		mode = 2;
	else if ((argc == 2 || argc == 4) && strcmp(argv[1], "show") == 0) {
		mode = 0;
		if (argc == 4) {
			errno = 0;
			tail = strtoul(argv[3], &end, 10);
			if (strcmp(argv[2], "--tail") != 0 || *end != '\0' ||
			    errno != 0 || tail == 0 || tail > 100000)
				goto usage;
		}
	} else
		goto usage;
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "audit", r);
	msg_begin(&w, MSG_CTL_AUDIT_REQ, ++vc->next_id);
	msg_put_u64(&w, mode);
	msg_put_u64(&w, tail);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_AUDIT_ANS, &m)) != 0)
		return vaultctl_fail(vc, "audit", r);
	if ((r = msg_get_i64(&m.rd, &code)) != 0 ||
	    (r = msg_get_str(&m.rd, &text, &len, MSG_MAX_FRAME)) != 0) {
		msg_clear(&m);
		return vaultctl_fail(vc, "audit", r);
	}
	if (code < -1000 || code > 0)
		code = CV_ERR_INTERNAL;
	atext[0] = '\0';
	if (want != NULL && code == 0 &&
	    (code = anchor_check(want, atext, sizeof(atext))) == CV_ERR_USAGE) {
		msg_clear(&m);
		goto usage;
	}
	if (mode == 2 && code == 0 && (colon = memchr(text, ':', len)) !=
	    NULL) {
		if (vc->json)
			vaultctl_print_json(json_pack("{s:s, s:b, s:s%, s:s%}",
			    "result", "anchor", "ok", 1, "seq", text,
			    (size_t)(colon - text), "hash", colon + 1,
			    len - (size_t)(colon - text) - 1));
		else
			printf("audit anchor: %.*s\n(keep it elsewhere; check "
			    "later with vaultctl audit verify --anchor "
			    "%.*s)\n", (int)len, text, (int)len, text);
	} else if (vc->json) {
		j = json_pack("{s:s, s:b, s:s%, s:s, s:i}", "result",
		    mode == 1 ? "verify" : mode == 2 ? "anchor" : "show",
		    "ok", code == 0, mode == 0 ? "lines" : "summary", text,
		    len, "anchor", atext, "exit",
		    vaultctl_exit_code((int)code));
		if (code != 0 && j != NULL)
			json_object_set_new(j, "error",
			    json_string(cv_strerror((int)code)));
		vaultctl_print_json(j);
	}
	else if (mode != 0 || code != 0) {
		printf("%.*s\n", (int)len, text);
		if (atext[0] != '\0')
			printf("%s\n", atext);
	} else
		fwrite(text, 1, len, stdout);
	msg_clear(&m);
	if (code != 0 && !vc->json)
		fprintf(stderr, "vaultctl: audit: %s\n",
		    cv_strerror((int)code));
	return vaultctl_exit_code((int)code);
 usage:
	return vaultctl_fail(vc, "usage: vaultctl audit show [--tail N] | "
	    "vaultctl audit verify [--anchor SEQ:HASH] | vaultctl audit "
	    "anchor", CV_ERR_USAGE);
}
