/*
 * vaultctl audit: show (filtered, as lines or JSON records), verify
 * (through vaultd, or offline: files and the audit public key, no
 * daemon), anchor, export-key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/home.h"
#include "common/rotation.h"
#include "vaultctl/vaultctl.h"

#define AUDIT_TAIL_DEFAULT	20
#define AUDIT_TAIL_MAX		100000
#define AUDIT_USAGE	"usage: vaultctl audit show [--tail N | --all] " \
	"[--account A] " \
	"[--actor S] [--op OP] [--verdict V] [--rotation ID] [--since TIME] " \
	"[--until TIME] | " \
	"audit verify [--anchor SEQ:HASH] | audit verify --offline " \
	"--key-file FILE [--anchor SEQ:HASH] LOG... | audit anchor | " \
	"audit export-key | audit mode [durable | relaxed [--group-ms MS]]"

struct audit_args {
	unsigned long	 tail;		/* 0: not given */
	int		 all;		/* --all: every record, paged */
	const char	*account, *actor, *op, *verdict, *anchor, *keyfile;
	const char	*rotation;
	uint64_t	 since, until;
	int		 offline;
	uint64_t	 group_ms;	/* audit mode relaxed --group-ms */
};

static const struct option audit_opts[] = {
	{ "tail",	required_argument, NULL, 't' },
	{ "all",	no_argument, NULL, 'l' },
	{ "account",	required_argument, NULL, 'a' },
	{ "actor",	required_argument, NULL, 'A' },
	{ "op",		required_argument, NULL, 'o' },
	{ "verdict",	required_argument, NULL, 'v' },
	{ "rotation",	required_argument, NULL, 'R' },
	{ "since",	required_argument, NULL, 's' },
	{ "until",	required_argument, NULL, 'u' },
	{ "anchor",	required_argument, NULL, 'n' },
	{ "offline",	no_argument, NULL, 'O' },
	{ "key-file",	required_argument, NULL, 'k' },
	{ "group-ms",	required_argument, NULL, 'g' },
	{ NULL, 0, NULL, 0 }
};

/*
 * A time as unix seconds, or ISO 8601 in UTC: YYYY-MM-DD, optionally
 * THH:MM or THH:MM:SS, optionally Z.  0 and *t, or -1.
 */
static int
audit_time_arg(const char *s, uint64_t *t)
{
	struct tm	tm, back;
	time_t		v;
	char		*end;
	int		n = 0;

	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") ==
	    strlen(s)) {
		errno = 0;
		*t = strtoull(s, &end, 10);
		return errno == 0 && *t > 0 && *t < (1ULL << 40) ? 0 : -1;
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &n) != 3 || n != 10)
		return -1;
	s += n;
	if (*s == 'T') {
		if (sscanf(s, "T%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &n) != 2 ||
		    n != 6)
			return -1;
		s += n;
		if (*s == ':') {
			if (sscanf(s, ":%2d%n", &tm.tm_sec, &n) != 1 || n != 3)
				return -1;
			s += n;
		}
	}
	if (*s == 'Z')
		s++;
	if (*s != '\0' || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	back = tm;
	/* timegm normalises 02-30 to 03-02: refuse what it had to move */
	if ((v = timegm(&tm)) <= 0 || tm.tm_mday != back.tm_mday ||
	    tm.tm_mon != back.tm_mon || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -1;
	*t = (uint64_t)v;
	return 0;
}

/* The subcommand's options (after argv[1]); its words into words. */
static int
audit_args(struct vaultctl *vc, int argc, char **argv, struct audit_args *a,
    char ***words, int *nwords)
{
	char	*end;
	int	 ch;

	memset(a, 0, sizeof(*a));
	argc--;
	argv++;
	if (vaultctl_opt_begin(vc, argc, argv, audit_opts) != 0)
		return -1;
	while ((ch = vaultctl_opt_next(argc, argv, audit_opts)) != -1) {
		switch (ch) {
		case 't':
			errno = 0;
			a->tail = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || errno != 0 || a->tail == 0 ||
			    a->tail > AUDIT_TAIL_MAX) {
				snprintf(vc->errtext, sizeof(vc->errtext),
				    "--tail takes a number from 1 to %d",
				    AUDIT_TAIL_MAX);
				return -1;
			}
			break;
		case 'l': a->all = 1; break;
		case 'a': a->account = optarg; break;
		case 'A': a->actor = optarg; break;
		case 'o': a->op = optarg; break;
		case 'v': a->verdict = optarg; break;
		case 'R':
			if (!rotation_id_valid(optarg)) {
				snprintf(vc->errtext, sizeof(vc->errtext),
				    "--rotation takes a rotation id "
				    "(rot- and 12 hex digits)");
				return -1;
			}
			a->rotation = optarg;
			break;
		case 's':
		case 'u':
			if (audit_time_arg(optarg, ch == 's' ? &a->since :
			    &a->until) != 0) {
				snprintf(vc->errtext, sizeof(vc->errtext),
				    "--%s takes unix seconds or an ISO 8601 "
				    "UTC time (2024-05-01, "
				    "2024-05-01T12:00:00Z)",
				    ch == 's' ? "since" : "until");
				return -1;
			}
			break;
		case 'n': a->anchor = optarg; break;
		case 'O': a->offline = 1; break;
		case 'k': a->keyfile = optarg; break;
		case 'g':
			errno = 0;
			a->group_ms = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || errno != 0 || a->group_ms < 1 ||
			    a->group_ms > 1000) {
				snprintf(vc->errtext, sizeof(vc->errtext),
				    "--group-ms takes a number of milliseconds "
				    "from 1 to 1000");
				return -1;
			}
			break;
		default: return -1;
		}
	}
	if (a->all && a->tail) {
		snprintf(vc->errtext, sizeof(vc->errtext), "--tail or --all, "
		    "not both");
		return -1;
	}
	*words = argv + optind;
	*nwords = argc - optind;
	return 0;
}

/*
 * audit verify --anchor SEQ:HASH: the log whose current file is path
 * must hold exactly that checkpoint (kept elsewhere by the operator from
 * `audit anchor`), so the vault and the log rolled back together show
 * too.  Read from the files themselves; the chain and the signatures
 * were checked before.
 */
static int
anchor_check(const char *path, const char *want, char *text, size_t len)
{
	struct audit_log	 log;
	struct audit_iter	*it = NULL;
	struct audit_rec	 rec;
	const char		*line, *colon;
	uint8_t			 h[AUDIT_HASH_LEN], kept[AUDIT_HASH_LEN];
	uint64_t		 seq;
	size_t			 n;
	int			 r;

	/* SEQ:HASH as audit anchor prints it */
	if ((colon = strchr(want, ':')) == NULL ||
	    dec_decode_u64(want, (size_t)(colon - want), &seq) != 0 ||
	    seq == 0 || hex_decode(colon + 1, strlen(colon + 1), kept,
	    sizeof(kept), &n) != 0 || n != sizeof(kept))
		return CV_ERR_USAGE;
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

/* A field of a record for JSON: "-" is null. */
static json_t *
field_json(const char *s)
{
	return strcmp(s, "-") == 0 ? json_null() : json_string(s);
}

/* The lines of audit show as records; a line that does not parse as text. */
static json_t *
records_json(const char *text, size_t len)
{
	struct audit_rec	 r;
	json_t			*arr = json_array(), *o;
	const char		*nl;
	uint64_t		 gen;
	size_t			 n;

	while (arr != NULL && len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) + 1 : len;
		if (audit_record_parse(text, n, &r) != 0)
			o = json_pack("{s:s%}", "unparsed", text,
			    nl != NULL ? n - 1 : n);
		else {
			o = json_pack("{s:I, s:s, s:o, s:o, s:s, s:o, s:o, "
			    "s:s, s:o, s:o, s:o}", "seq", (json_int_t)r.seq,
			    "time", r.time, "actor", field_json(r.actor),
			    "account", field_json(r.account), "op", r.op,
			    "method", field_json(r.method), "path",
			    field_json(r.path), "verdict", r.verdict,
			    "key_id", field_json(r.key_id), "gen",
			    audit_rec_gen(&r, &gen) == 0 ?
			    json_integer((json_int_t)gen) : json_null(),
			    "digest", field_json(r.digest));
		}
		json_array_append_new(arr, o);
		text += n;
		len -= n;
	}
	return arr;
}

/*
 * One MSG_CTL_AUDIT_SHOW_REQ with a's filters: the last tail records
 * that match from since to until (0: no bound), at most an answer's
 * worth (512 KiB), in *text (in m: clear it after), and in *left how
 * many matching records came before them.
 */
static int
audit_show_req(struct vaultctl *vc, const struct audit_args *a,
    uint64_t tail, uint64_t since, uint64_t until, struct msg *m,
    const char **text, size_t *len, uint64_t *left)
{
	struct msg_w	w;
	int		r;

	msg_begin(&w, MSG_CTL_AUDIT_SHOW_REQ, ++vc->next_id);
	msg_put_u64(&w, tail);
	msg_put_str(&w, a->account ? a->account : "");
	msg_put_str(&w, a->actor ? a->actor : "");
	msg_put_str(&w, a->op ? a->op : "");
	msg_put_str(&w, a->verdict ? a->verdict : "");
	msg_put_u64(&w, since);
	msg_put_u64(&w, until);
	msg_put_str(&w, a->rotation ? a->rotation : "");
	if ((r = vaultctl_call(vc, &w, MSG_CTL_AUDIT_SHOW_ANS, m)) != 0)
		return r;
	if ((r = msg_get_u64(&m->rd, left)) != 0 ||
	    (r = msg_get_str(&m->rd, text, len, MSG_MAX_FRAME)) != 0)
		msg_clear(m);
	return r;
}

static size_t
count_lines(const char *text, size_t len)
{
	size_t	n = 0;

	while (len > 0)
		n += text[--len] == '\n';
	return n;
}

/* No record at all, or none that matches: said on standard error. */
static void
audit_show_none(const struct audit_args *a)
{
	fprintf(stderr, "vaultctl: audit show: no records%s\n", a->account ||
	    a->actor || a->op || a->verdict || a->rotation || a->since ||
	    a->until ? " match" : "");
}

/* The pages of audit show --all, newest first; each oldest first. */
struct audit_pages {
	struct {
		char	*text;
		size_t	 len;
	}		*p;
	size_t		 n;
	uint64_t	 records;
};

/* How many bytes of text the records with a seq below seq take. */
static size_t
records_before(const char *text, size_t len, uint64_t seq)
{
	struct audit_rec	 rec;
	const char		*nl;
	size_t			 keep, next;

	for (keep = 0; keep < len; keep = next) {
		nl = memchr(text + keep, '\n', len - keep);
		next = nl != NULL ? (size_t)(nl - text) + 1 : len;
		if (audit_record_parse(text + keep, next - keep, &rec) != 0 ||
		    rec.seq >= seq)
			break;
	}
	return keep;
}

/*
 * Keep a copy of the len bytes of text (whole records) as the next page;
 * the seq and the second (unix time) of its first record in *seq and
 * *when.
 */
static int
pages_add(struct vaultctl *vc, struct audit_pages *pp, const char *text,
    size_t len, uint64_t *seq, uint64_t *when)
{
	struct audit_rec	 rec;
	const char		*nl;
	void			*np;

	if ((nl = memchr(text, '\n', len)) == NULL ||
	    audit_record_parse(text, (size_t)(nl - text) + 1, &rec) != 0 ||
	    audit_time_arg(rec.time, when) != 0) {
		snprintf(vc->errtext, sizeof(vc->errtext), "vaultd sent a "
		    "line that is not an audit record");
		return CV_ERR_MSG_MALFORMED;
	}
	if ((np = reallocarray(pp->p, pp->n + 1, sizeof(*pp->p))) == NULL)
		return CV_ERR_NOMEM;
	pp->p = np;
	if ((pp->p[pp->n].text = malloc(len)) == NULL)
		return CV_ERR_NOMEM;
	memcpy(pp->p[pp->n].text, text, len);
	pp->p[pp->n++].len = len;
	pp->records += count_lines(text, len);
	*seq = rec.seq;
	return 0;
}

/*
 * audit show --all: every record that matches, oldest first.  An answer
 * holds at most 512 KiB, so the log is read in pages from its end: each
 * page stops at the second of the oldest record held so far (--until
 * takes that second whole) and adds the records before that one, by seq.
 * A filter every record passes (--since 1) makes vaultd count exactly:
 * the first answer says how many records match in all, and the pages
 * must add up to that.  They do not when one second holds more records
 * than an answer, or the clock was set back between records; then
 * nothing is printed and the failure says how many were left out.
 */
static int
audit_show_all(struct vaultctl *vc, const struct audit_args *a)
{
	struct audit_pages	 pp;
	struct msg		 m;
	const char		*text;
	uint64_t		 left, until = a->until, oldest = 0, want = 0;
	size_t			 len, keep, i;
	json_t			*arr, *page;
	int			 r;

	memset(&pp, 0, sizeof(pp));
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "audit show", r);
	do {
		if ((r = audit_show_req(vc, a, AUDIT_TAIL_MAX, a->since ?
		    a->since : 1, until, &m, &text, &len, &left)) != 0)
			goto out;
		if (pp.n == 0)
			want = count_lines(text, len) + left;
		keep = pp.n == 0 ? len : records_before(text, len, oldest);
		if (keep > 0)
			r = pages_add(vc, &pp, text, keep, &oldest, &until);
		msg_clear(&m);
		if (r != 0)
			goto out;
	} while (left > 0 && keep > 0 && pp.records < want);
	if (pp.records < want) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%llu of %llu "
		    "matching records could not be fetched: more than an "
		    "answer holds (512 KiB) are from one second, or the clock "
		    "was set back (their times are out of order); narrow it "
		    "with a filter", (unsigned long long)(want - pp.records),
		    (unsigned long long)want);
		r = CV_ERR_TOOLONG;
		goto out;
	}
	if (vc->json) {
		arr = json_array();
		for (i = pp.n; i > 0; i--) {
			page = records_json(pp.p[i - 1].text, pp.p[i - 1].len);
			json_array_extend(arr, page);
			json_decref(page);
		}
		vaultctl_print_json(arr);
	} else {
		for (i = pp.n; i > 0; i--)
			fwrite(pp.p[i - 1].text, 1, pp.p[i - 1].len, stdout);
		if (pp.records == 0)
			audit_show_none(a);
	}
 out:
	for (i = 0; i < pp.n; i++)
		free(pp.p[i].text);
	free(pp.p);
	return r == 0 ? EXIT_OK : vaultctl_fail(vc, "audit show --all", r);
}

static int
audit_show(struct vaultctl *vc, const struct audit_args *a)
{
	struct msg	 m;
	const char	*text;
	size_t		 len, lines;
	uint64_t	 left;
	int		 r;

	if (a->all)
		return audit_show_all(vc, a);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "audit show", r);
	if ((r = audit_show_req(vc, a, a->tail ? a->tail : AUDIT_TAIL_DEFAULT,
	    a->since, a->until, &m, &text, &len, &left)) != 0)
		return vaultctl_fail(vc, "audit show", r);
	if (vc->json) {
		vaultctl_print_json(records_json(text, len));
		msg_clear(&m);
		return EXIT_OK;
	}
	if (len > 0)		/* no records: no bytes, maybe no pointer */
		fwrite(text, 1, len, stdout);
	lines = count_lines(text, len);
	msg_clear(&m);
	/* say what was not shown, unless it was asked for exactly */
	if (lines == 0 && left == 0)
		audit_show_none(a);
	else if (left > 0 && a->tail == 0)
		fprintf(stderr, "vaultctl: audit show: the last %zu %srecords "
		    "shown, %llu before them (--tail N or --all shows more)\n",
		    lines, a->account || a->actor || a->op || a->verdict ||
		    a->rotation || a->since || a->until ? "matching " : "",
		    (unsigned long long)left);
	else if (left > 0 && lines < a->tail)
		fprintf(stderr, "vaultctl: audit show: %llu more records left "
		    "out: an answer holds at most 512 KiB (narrow it with "
		    "--since, --until or a filter, or use --all)\n",
		    (unsigned long long)left);
	return EXIT_OK;
}

/* "HEX\n" of 32 bytes, as audit export-key prints it. */
static int
audit_key_read(struct vaultctl *vc, const char *path, uint8_t pk[32])
{
	FILE	*f;
	char	 buf[160];
	size_t	 n, got;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(vc->errtext, sizeof(vc->errtext), "cannot read the "
		    "audit key %s: %s", path, strerror(errno));
		return errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (hex_decode(buf, n, pk, 32, &got) != 0 || got != 32 || n != 64) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s is not an audit "
		    "public key (64 hex digits, as vaultctl audit export-key "
		    "prints it)", path);
		return CV_ERR_INVALID;
	}
	return 0;
}

/*
 * audit verify --offline --key-file FILE [--anchor SEQ:HASH] LOG...:
 * each LOG (a copy of audit.log, with its segments LOG.NNNNNN beside it
 * as vaultd left them) verified with common/audit_log.c's streaming
 * verifier against the audit public key, no vaultd needed.  What is
 * printed, and the exit code, are those of the online verify.
 */
static int
audit_verify_offline(struct vaultctl *vc, const struct audit_args *a,
    char **logs, int nlogs)
{
	struct audit_report	 rep;
	uint8_t			 pk[32];
	char			 text[768], atext[300];
	json_t			*arr = NULL;
	int			 i, r, first = 0;

	if (a->keyfile == NULL || nlogs == 0)
		return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
	if ((r = audit_key_read(vc, a->keyfile, pk)) != 0)
		return vaultctl_fail(vc, "audit verify", r);
	if (vc->json)
		arr = json_array();
	for (i = 0; i < nlogs; i++) {
		atext[0] = '\0';
		r = audit_verify_file(logs[i], pk, NULL, &rep);
		audit_report_text(r, &rep, text, sizeof(text));
		if (r == 0 && a->anchor != NULL && (r = anchor_check(logs[i],
		    a->anchor, atext, sizeof(atext))) == CV_ERR_USAGE) {
			json_decref(arr);
			return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
		}
		if (first == 0)
			first = r;
		if (vc->json) {
			json_array_append_new(arr, json_pack("{s:s, s:b, s:s, "
			    "s:s}", "log", logs[i], "ok", r == 0, "summary",
			    text, "anchor", atext));
			continue;
		}
		if (nlogs > 1)
			printf("%s: ", logs[i]);
		printf("%s\n", text);
		if (atext[0] != '\0')
			printf("%s\n", atext);
		if (r != 0)
			fprintf(stderr, "vaultctl: audit: %s\n",
			    cv_strerror(r));
	}
	if (vc->json) {
		vaultctl_print_json(json_pack("{s:s, s:b, s:b, s:o, s:i}",
		    "result", "verify", "offline", 1, "ok", first == 0, "logs",
		    arr, "exit", vaultctl_exit_code(first)));
	}
	return vaultctl_exit_code(first);
}

/* audit verify [--anchor], audit anchor: vaultd's answer. */
static int
audit_online(struct vaultctl *vc, uint64_t mode, const char *want)
{
	struct msg_w	 w;
	struct msg	 m;
	const char	*text, *colon;
	char		 home[4096], path[4200], atext[300];
	size_t		 len;
	int64_t		 code;
	json_t		*j;
	int		 r;

	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "audit", r);
	msg_begin(&w, MSG_CTL_AUDIT_REQ, ++vc->next_id);
	msg_put_u64(&w, mode);
	msg_put_u64(&w, 0);
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
	if (want != NULL && code == 0) {
		if ((r = home_path(home, sizeof(home))) == 0) {
			snprintf(path, sizeof(path), "%s/audit.log", home);
			r = anchor_check(path, want, atext, sizeof(atext));
		}
		if ((code = r) == CV_ERR_USAGE) {
			msg_clear(&m);
			return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
		}
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
		    mode == 1 ? "verify" : "anchor", "ok", code == 0,
		    "summary", text, len, "anchor", atext, "exit",
		    vaultctl_exit_code((int)code));
		if (code != 0 && j != NULL)
			json_object_set_new(j, "error",
			    json_string(cv_strerror((int)code)));
		vaultctl_print_json(j);
	} else {
		printf("%.*s\n", (int)len, text);
		if (atext[0] != '\0')
			printf("%s\n", atext);
	}
	msg_clear(&m);
	if (code != 0 && !vc->json)
		fprintf(stderr, "vaultctl: audit: %s\n",
		    cv_strerror((int)code));
	return vaultctl_exit_code((int)code);
}

/* audit export-key: the public key that verifies the checkpoints. */
static int
audit_export_key(struct vaultctl *vc)
{
	struct msg_w	 w;
	struct msg	 m;
	const uint8_t	*pk;
	size_t		 len;
	char		 hex[AUDIT_HEX_HASH + 1];
	int		 r;

	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "audit export-key", r);
	msg_begin(&w, MSG_CTL_AUDIT_KEY_REQ, ++vc->next_id);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_AUDIT_KEY_ANS, &m)) != 0)
		return vaultctl_fail(vc, "audit export-key", r);
	if ((r = msg_get_bin(&m.rd, &pk, &len, AUDIT_PK_LEN)) != 0 ||
	    len != AUDIT_PK_LEN) {
		msg_clear(&m);
		return vaultctl_fail(vc, "audit export-key", r != 0 ? r :
		    CV_ERR_MSG_LENGTH);
	}
	hex_encode(pk, AUDIT_PK_LEN, hex);
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:b, s:s}", "result",
		    "export-key", "ok", 1, "key", hex));
	else
		printf("%s\n", hex);
	return EXIT_OK;
}

/*
 * audit mode [durable | relaxed [--group-ms MS]]: how verdict records
 * are made durable (vaultd_audit_mode_ctl); without a mode, the mode.
 */
static int
audit_mode(struct vaultctl *vc, const struct audit_args *a, char **words,
    int nwords)
{
	struct msg_w	 w;
	struct msg	 m;
	const char	*want = nwords == 1 ? words[0] : "";
	char		 mode[9];
	uint64_t	 group;
	int		 r;

	if (nwords > 1 || (nwords == 1 && strcmp(want, "durable") != 0 &&
	    strcmp(want, "relaxed") != 0) ||
	    (a->group_ms != 0 && strcmp(want, "relaxed") != 0))
		return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
	if ((r = vaultctl_connect(vc)) != 0)
		return vaultctl_fail(vc, "audit mode", r);
	msg_begin(&w, MSG_CTL_AUDIT_MODE_REQ, ++vc->next_id);
	msg_put_str(&w, want);
	msg_put_u64(&w, a->group_ms);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_AUDIT_MODE_ANS, &m)) != 0)
		return vaultctl_fail(vc, "audit mode", r);
	if ((r = msg_get_strbuf(&m.rd, mode, sizeof(mode))) != 0 ||
	    (r = msg_get_u64(&m.rd, &group)) != 0) {
		msg_clear(&m);
		return vaultctl_fail(vc, "audit mode", r);
	}
	msg_clear(&m);
	if (vc->json)
		vaultctl_print_json(json_pack("{s:s, s:b, s:s, s:I}", "result",
		    "mode", "ok", 1, "mode", mode, "group_ms",
		    (json_int_t)group));
	else if (strcmp(mode, "relaxed") == 0)
		printf("relaxed: records written before each signature leaves "
		    "vaultd, synced every %llu ms at most\n",
		    (unsigned long long)group);
	else
		printf("durable: every record synced before its signature "
		    "leaves vaultd\n");
	return EXIT_OK;
}

int
cmd_audit(struct vaultctl *vc, int argc, char **argv)
{
	struct audit_args	 a;
	char			**words;
	int			 nwords, show, verify, mode;

	if (argc < 2 || audit_args(vc, argc, argv, &a, &words, &nwords) != 0)
		return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
	show = strcmp(argv[1], "show") == 0;
	verify = strcmp(argv[1], "verify") == 0;
	mode = strcmp(argv[1], "mode") == 0;
	/* another's scan under way: wait for it, as for a vault write */
	if (show || verify)
		vc->again_ms = VAULTCTL_SCAN_AGAIN_MS;
	/* each option where it belongs, and nothing else */
	if ((!show && (a.tail || a.all || a.account || a.actor || a.op ||
	    a.verdict || a.rotation || a.since || a.until)) ||
	    (!verify && (a.anchor || a.offline)) ||
	    (!mode && a.group_ms) ||
	    (!a.offline && a.keyfile) ||
	    (!a.offline && !mode && nwords > 0))
		return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
	if (mode)
		return audit_mode(vc, &a, words, nwords);
	if (show)
		return audit_show(vc, &a);
	if (verify && a.offline)
		return audit_verify_offline(vc, &a, words, nwords);
	if (verify)
		return audit_online(vc, 1, a.anchor);
	if (strcmp(argv[1], "anchor") == 0)
		return audit_online(vc, 2, NULL);
	if (strcmp(argv[1], "export-key") == 0)
		return audit_export_key(vc);
	return vaultctl_fail(vc, AUDIT_USAGE, CV_ERR_USAGE);
}
