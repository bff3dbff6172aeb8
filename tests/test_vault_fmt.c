/*
 * common/vault_fmt.c: the vault file layout, its strict parser and the
 * atomic file I/O.  No keys here: bodies and MACs are arbitrary bytes;
 * tests/test_vault_crypto.c covers authentication.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/vault_fmt.h"

struct dir {
	char	path[64];
	int	fd;
};

static void
dir_make(struct dir *d)
{
	(void)snprintf(d->path, sizeof(d->path), "/tmp/cvfmt.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
	assert_true(d->fd >= 0);
}

static void
dir_remove(struct dir *d)
{
	struct dirent	*de;
	DIR		*dp;

	assert_non_null(dp = opendir(d->path));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		(void)unlinkat(d->fd, de->d_name, 0);
	}
	closedir(dp);
	close(d->fd);
	assert_int_equal(rmdir(d->path), 0);
}

/* Entries in the directory besides . and .. */
static int
dir_count(struct dir *d)
{
	struct dirent	*de;
	DIR		*dp;
	int		 n = 0;

	assert_non_null(dp = opendir(d->path));
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static void
rec_fill(struct vault_rec *r, uint8_t type, const char *acct,
    const char *kid, size_t blen, uint8_t fill)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	(void)snprintf(r->account, sizeof(r->account), "%s", acct);
	(void)snprintf(r->key_id, sizeof(r->key_id), "%s", kid);
	r->nonce = 7;
	memset(r->aead_nonce, 0xa5, sizeof(r->aead_nonce));
	r->body_len = blen;
	assert_non_null(r->body = malloc(blen));
	memset(r->body, fill, blen);
}

/* A vault with two records and made-up crypto fields. */
static void
sample(struct vault *v)
{
	struct vault_rec	r;

	memset(v, 0, sizeof(*v));
	v->hdr.version = VAULT_VERSION;
	memset(v->hdr.vault_id, 0x11, VAULT_ID_LEN);
	v->hdr.opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
	v->hdr.memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
	memset(v->hdr.salt, 0x22, VAULT_SALT_LEN);
	memset(v->hdr.wrap_nonce, 0x33, VAULT_NONCE_LEN);
	memset(v->hdr.wrapped_key, 0x44, VAULT_WRAPPED_LEN);
	v->hdr.generation = 5;
	memset(v->mac, 0x55, VAULT_MAC_LEN);
	rec_fill(&r, VAULT_REC_WALLET_KEY, "main", "", 48, 0x66);
	assert_int_equal(vault_add_record(v, &r), 0);
	free(r.body);
	rec_fill(&r, VAULT_REC_API_CRED, "main", "0b7a-key", 80, 0x77);
	assert_int_equal(vault_add_record(v, &r), 0);
	free(r.body);
}

static void
encode_sample(uint8_t **buf, size_t *len)
{
	struct vault	v;

	sample(&v);
	assert_int_equal(vault_fmt_encode(&v, buf, len), 0);
	vault_free(&v);
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* After a deliberate header edit, make the checksum match again. */
static void
fix_cksum(uint8_t *buf)
{
	crypto_generichash(buf + VAULT_HEADER_LEN - VAULT_CKSUM_LEN,
	    VAULT_CKSUM_LEN, buf, VAULT_HEADER_LEN - VAULT_CKSUM_LEN, NULL, 0);
}

static void
test_layout(void **state)
{
	uint8_t	*buf;
	size_t	 len;

	encode_sample(&buf, &len);
	assert_int_equal(len, VAULT_MIN_FILE +
	    (VAULT_REC_FIXED + 4 + 0 + 48) + (VAULT_REC_FIXED + 4 + 8 + 80));
	assert_memory_equal(buf, "CLOBVLT\0", 8);
	assert_int_equal(buf[8], 0);
	assert_int_equal(buf[9], 1);
	assert_int_equal(buf[139], 5);		/* generation, big-endian */
	assert_int_equal(buf[183], 2);		/* record count */
	assert_int_equal(buf[VAULT_HEADER_LEN], VAULT_REC_WALLET_KEY);
	assert_int_equal(buf[VAULT_HEADER_LEN + 2], 4);
	assert_memory_equal(buf + VAULT_HEADER_LEN + 3, "main", 4);
	assert_int_equal(buf[len - 1], 0x55);
	free(buf);
}

static void
test_roundtrip(void **state)
{
	struct vault	 v;
	uint8_t		*buf, *again;
	size_t		 len, len2;

	encode_sample(&buf, &len);
	assert_int_equal(vault_fmt_parse(buf, len, &v), 0);
	assert_int_equal(v.nrecs, 2);
	assert_int_equal(v.hdr.generation, 5);
	assert_string_equal(v.recs[1].key_id, "0b7a-key");
	assert_int_equal(v.recs[1].body_len, 80);
	assert_int_equal(vault_find_record(&v, VAULT_REC_API_CRED, "main",
	    "0b7a-key"), 1);
	assert_int_equal(vault_find_record(&v, VAULT_REC_API_CRED, "main",
	    "other"), -1);
	assert_int_equal(vault_fmt_encode(&v, &again, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, again, len);
	assert_int_equal(vault_del_record(&v, 0), 0);
	assert_int_equal(vault_del_record(&v, 5), CV_ERR_NOTFOUND);
	assert_string_equal(v.recs[0].key_id, "0b7a-key");
	vault_free(&v);
	vault_free(&v);			/* twice is harmless */
	free(buf);
	free(again);
}

static void
test_empty_vault(void **state)
{
	struct vault	 v, w;
	uint8_t		*buf;
	size_t		 len;

	sample(&v);
	while (v.nrecs > 0)
		assert_int_equal(vault_del_record(&v, 0), 0);
	assert_int_equal(vault_fmt_encode(&v, &buf, &len), 0);
	assert_int_equal(len, VAULT_MIN_FILE);
	assert_int_equal(vault_fmt_parse(buf, len, &w), 0);
	assert_int_equal(w.nrecs, 0);
	vault_free(&v);
	vault_free(&w);
	free(buf);
}

static void
test_version(void **state)
{
	struct vault	 v;
	uint8_t		*buf;
	size_t		 len;

	encode_sample(&buf, &len);
	put_be16(buf + 8, 2);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_FORMAT_VERSION);
	put_be16(buf + 8, 0);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_FORMAT_VERSION);
	/* A newer version is named as such even when its layout differs. */
	assert_int_equal(vault_fmt_parse(buf, 10, &v), CV_ERR_FORMAT_VERSION);
	put_be16(buf + 8, 1);
	buf[0] = 'X';
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	free(buf);
}

static void
test_truncated(void **state)
{
	struct vault	 v;
	uint8_t		*buf, *cut;
	size_t		 len, i;

	encode_sample(&buf, &len);
	for (i = 0; i < len; i++) {
		/* An exact-size copy, so a read past the end is caught. */
		assert_non_null(cut = malloc(i + 1));
		memcpy(cut, buf, i);
		assert_int_equal(vault_fmt_parse(cut, i, &v), CV_ERR_CORRUPT);
		free(cut);
	}
	free(buf);
}

static void
test_trailing(void **state)
{
	struct vault	 v;
	uint8_t		*buf;
	size_t		 len;

	encode_sample(&buf, &len);
	assert_non_null(buf = realloc(buf, len + 1));
	buf[len] = 0;
	assert_int_equal(vault_fmt_parse(buf, len + 1, &v), CV_ERR_CORRUPT);
	free(buf);
}

/* Without the key, every single-byte change but the version's is corrupt. */
static void
test_header_flips(void **state)
{
	struct vault	 v;
	uint8_t		*buf;
	size_t		 len, i;

	encode_sample(&buf, &len);
	for (i = 0; i < VAULT_HEADER_LEN; i++) {
		buf[i] ^= 0x01;
		assert_int_equal(vault_fmt_parse(buf, len, &v),
		    i == 8 || i == 9 ? CV_ERR_FORMAT_VERSION : CV_ERR_CORRUPT);
		buf[i] ^= 0x01;
	}
	free(buf);
}

static void
test_bounds(void **state)
{
	struct vault	 v;
	uint8_t		*buf;
	size_t		 len;

	encode_sample(&buf, &len);
	/* Record count past the bytes there are. */
	buf[183] = 3;
	fix_cksum(buf);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[182] = 0xff;
	fix_cksum(buf);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[182] = 0;
	buf[183] = 2;
	/* KDF parameters out of range: memlimit 2^40. */
	buf[39] = 1;
	fix_cksum(buf);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[39] = 0;
	/* Unknown flag. */
	buf[11] = 0x02;
	fix_cksum(buf);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[11] = 0;
	/* Keyfile mode with KDF parameters. */
	buf[11] = VAULT_FLAG_KEYFILE;
	fix_cksum(buf);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[11] = 0;
	/* An anchor hash without an anchor seq. */
	buf[150] = 1;
	fix_cksum(buf);
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[150] = 0;
	fix_cksum(buf);
	/* Unknown record type, bad account name, empty body. */
	buf[VAULT_HEADER_LEN] = VAULT_REC_MAX + 1;
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[VAULT_HEADER_LEN] = VAULT_REC_WALLET_KEY;
	buf[VAULT_HEADER_LEN + 3] = ' ';
	assert_int_equal(vault_fmt_parse(buf, len, &v), CV_ERR_CORRUPT);
	buf[VAULT_HEADER_LEN + 3] = 'm';
	assert_int_equal(vault_fmt_parse(buf, len, &v), 0);
	vault_free(&v);
	free(buf);
}

static void
test_encode_refuses(void **state)
{
	struct vault	 v;
	uint8_t		*buf;
	size_t		 len;

	sample(&v);
	v.recs[0].account[0] = '\0';
	assert_int_equal(vault_fmt_encode(&v, &buf, &len), CV_ERR_INVALID);
	assert_null(buf);
	(void)snprintf(v.recs[0].account, sizeof(v.recs[0].account), "a b");
	assert_int_equal(vault_fmt_encode(&v, &buf, &len), CV_ERR_INVALID);
	(void)snprintf(v.recs[0].account, sizeof(v.recs[0].account), "main");
	v.recs[0].body_len = VAULT_TAG_LEN;
	assert_int_equal(vault_fmt_encode(&v, &buf, &len), CV_ERR_INVALID);
	v.recs[0].body_len = 48;
	v.hdr.version = 2;
	assert_int_equal(vault_fmt_encode(&v, &buf, &len), CV_ERR_INVALID);
	v.hdr.version = VAULT_VERSION;
	v.hdr.opslimit = 0;
	assert_int_equal(vault_fmt_encode(&v, &buf, &len), CV_ERR_INVALID);
	vault_free(&v);
	assert_true(vault_fmt_name_valid("acct_1.main:x@y-z", 17));
	assert_false(vault_fmt_name_valid("a/b", 3));
	assert_false(vault_fmt_name_valid("", 0));
}

static void
write_mode(struct dir *d, const char *name, mode_t mode)
{
	int	fd;

	assert_true((fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_read_perms(void **state)
{
	struct dir	 d;
	char		 p[128];
	uint8_t		*buf;
	size_t		 len;

	dir_make(&d);
	write_mode(&d, "v", 0600);
	(void)snprintf(p, sizeof(p), "%s/v", d.path);
	assert_int_equal(vault_fmt_read(p, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "old", 3);
	free(buf);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(vault_fmt_read(p, &buf, &len), CV_ERR_PERM);
	assert_null(buf);
	assert_int_equal(chmod(p, 0620), 0);
	assert_int_equal(vault_fmt_read(p, &buf, &len), CV_ERR_PERM);
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(vault_fmt_read(p, &buf, &len), 0);
	free(buf);
	/* A symlink, a directory, a FIFO, nothing. */
	assert_int_equal(symlinkat("v", d.fd, "link"), 0);
	(void)snprintf(p, sizeof(p), "%s/link", d.path);
	assert_int_equal(vault_fmt_read(p, &buf, &len), CV_ERR_PERM);
	assert_int_equal(mkdirat(d.fd, "sub", 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/sub", d.path);
	assert_int_equal(vault_fmt_read(p, &buf, &len), CV_ERR_PERM);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(mkfifoat(d.fd, "fifo", 0600), 0);
	(void)snprintf(p, sizeof(p), "%s/fifo", d.path);
	assert_int_equal(vault_fmt_read(p, &buf, &len), CV_ERR_PERM);
	(void)snprintf(p, sizeof(p), "%s/none", d.path);
	assert_int_equal(vault_fmt_read(p, &buf, &len), CV_ERR_NOTFOUND);
	dir_remove(&d);
}

static void
assert_content(struct dir *d, const char *name, const char *want)
{
	char		 p[128];
	uint8_t		*buf;
	size_t		 len;
	struct stat	 st;

	(void)snprintf(p, sizeof(p), "%s/%s", d->path, name);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vault_fmt_read(p, &buf, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	free(buf);
}

static void
test_write_atomic(void **state)
{
	struct dir	d;
	char		p[128];

	dir_make(&d);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)
	    "first", 5), 0);
	assert_content(&d, "v", "first");
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)
	    "second", 6), 0);
	assert_content(&d, "v", "second");
	assert_int_equal(dir_count(&d), 1);
	(void)snprintf(p, sizeof(p), "%s/v", d.path);
	assert_int_equal(vault_fmt_write_file(p, (const uint8_t *)"third", 5),
	    0);
	assert_content(&d, "v", "third");
	assert_int_equal(vault_fmt_write_atomic(d.fd, "a/b",
	    (const uint8_t *)"x", 1), CV_ERR_INVALID);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "..",
	    (const uint8_t *)"x", 1), CV_ERR_INVALID);
	(void)snprintf(p, sizeof(p), "%s/nodir/v", d.path);
	assert_int_equal(vault_fmt_write_file(p, (const uint8_t *)"x", 1),
	    CV_ERR_NOTFOUND);
	dir_remove(&d);
}

/* Each failing step leaves the old file and no temporary behind. */
static void
test_write_fails(void **state)
{
	static const struct {
		int	step, err, want;
	} c[] = {
		{ 1, ENOSPC, CV_ERR_NOSPACE },
		{ 1, EDQUOT, CV_ERR_NOSPACE },
		{ 1, EIO, CV_ERR_IO },
		{ 2, ENOSPC, CV_ERR_NOSPACE },
		{ 2, EIO, CV_ERR_IO },
		{ 3, EXDEV, CV_ERR_IO },
	};
	struct dir	d;
	size_t		i;

	dir_make(&d);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)
	    "old", 3), 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		vault_fmt_test_fail(c[i].step, c[i].err);
		assert_int_equal(vault_fmt_write_atomic(d.fd, "v",
		    (const uint8_t *)"new", 3), c[i].want);
		assert_content(&d, "v", "old");
		assert_int_equal(dir_count(&d), 1);
	}
	vault_fmt_test_fail(0, 0);
	dir_remove(&d);
}

/*
 * The directory's sync failing after the rename: the new file is in
 * place, so the writer stops (exit 1, saying so) rather than go on as if
 * the old one were.
 */
static void
test_write_dirsync_fails(void **state)
{
	struct dir	d;
	pid_t		pid;
	int		st;

	dir_make(&d);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)
	    "old", 3), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		vault_fmt_test_fail(4, EIO);
		_exit(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)"new",
		    3) == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_content(&d, "v", "new");
	assert_int_equal(dir_count(&d), 1);
	dir_remove(&d);
}

/* A real failure: the file size limit makes write(2) fail with EFBIG. */
static void
test_write_fsize(void **state)
{
	struct dir	 d;
	struct rlimit	 old, lim;
	uint8_t		 big[8192];
	void		(*oldsig)(int);

	dir_make(&d);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)
	    "old", 3), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", big, sizeof(big)),
	    CV_ERR_IO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_content(&d, "v", "old");
	assert_int_equal(dir_count(&d), 1);
	dir_remove(&d);
}

/*
 * A directory we may not write: creating the temporary file fails.  Root
 * writes anyway, so as root the check runs in a child that became nobody.
 */
static void
test_write_readonly_dir(void **state)
{
	struct dir	d;
	pid_t		pid;
	int		status, r;

	dir_make(&d);
	assert_int_equal(vault_fmt_write_atomic(d.fd, "v", (const uint8_t *)
	    "old", 3), 0);
	assert_int_equal(fchmod(d.fd, 0500), 0);
	if (geteuid() != 0) {
		assert_int_equal(vault_fmt_write_atomic(d.fd, "v",
		    (const uint8_t *)"new", 3), CV_ERR_IO);
	} else {
		assert_int_equal(fchmod(d.fd, 0555), 0);
		assert_true((pid = fork()) != -1);
		if (pid == 0) {
			if (setgid(65534) == -1 || setuid(65534) == -1)
				_exit(2);
			r = vault_fmt_write_atomic(d.fd, "v",
			    (const uint8_t *)"new", 3);
			_exit(r == CV_ERR_IO ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(fchmod(d.fd, 0700), 0);
	assert_content(&d, "v", "old");
	assert_int_equal(dir_count(&d), 1);
	dir_remove(&d);
}

/* A key body's date: a third part "created=DIGITS", else none. */
static void
cred_case(const char *p, size_t len, size_t want_len, int64_t want_t)
{
	int64_t	t = -1;

	assert_int_equal(vault_fmt_cred_len((const uint8_t *)p, len, &t),
	    want_len);
	assert_int_equal(t, want_t);
}

#define CRED(lit, wl, wt)	cred_case((lit), sizeof(lit) - 1, (wl), (wt))

static void
test_cred_len(void **state)
{
	(void)state;
	CRED("s\0pass\0created=1764540000", 6, 1764540000);
	CRED("s\0\0created=7", 2, 7);		/* Omnia, no permissions */
	CRED("s\0pass", 6, 0);
	/* the second part is never taken for a date */
	CRED("s\0created=12", 12, 0);
	CRED("s\0pass\0created=", 15, 0);
	CRED("s\0pass\0created=12x", 18, 0);
	CRED("s\0pass\0created=1234567890123456789", 34, 0);
	CRED("s\0pass\0made=12", 14, 0);
	CRED("secret", 6, 0);
	assert_int_equal(vault_fmt_cred_len((const uint8_t *)"a\0b\0created=3",
	    13, NULL), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_empty_vault),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_header_flips),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_read_perms),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_fails),
		cmocka_unit_test(test_write_dirsync_fails),
		cmocka_unit_test(test_write_fsize),
		cmocka_unit_test(test_write_readonly_dir),
		cmocka_unit_test(test_cred_len),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
