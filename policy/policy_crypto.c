/*
 * The bytes approvers sign, and whether their grants are enough.
 *
 * (policy_digest, SHA-256 of a policy's exact text, lives with the
 * parser in policy_parse.c.)  A held request's digest is BLAKE2b-256 over
 *
 *	"clobvault approval v1\0"		22 bytes, the domain
 *	pending id				u64 big-endian
 *	actor, account, level, method,		each a u32 big-endian length,
 *	path, body, nonce			then its bytes
 *
 * where actor is "operator:UID" or "client:NAME", level and nonce are
 * u64 big-endian (so their lengths are 8), and path is as sent, with its
 * query.  The pending id binds an approval to the one request held, not
 * to an identical one sent later.
 *
 * What an approver signs (Ed25519, by the caller):
 *	approval: domain "clobvault approval v1" NUL-padded to 24 bytes,
 *		  request digest (32), policy version (u64 BE), 1 grant / 0 deny
 *	change:   domain "clobvault policy v1" NUL-padded to 24 bytes,
 *		  new text's digest (32), new version (u64 BE)
 *
 * Grants are a bitmap: bit i (bit i % 8 of byte i / 8) is approver i of
 * the policy, in its file order; an approve rule's names are resolved
 * to those indices by name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "policy/policy_int.h"

#define APPROVAL_DOMAIN	"clobvault approval v1"
#define CHANGE_DOMAIN	"clobvault policy v1"
#define DOMAIN_LEN	24

static void	 put_u64(uint8_t *, uint64_t);
static void	 hash_field2(crypto_generichash_state *, const void *, size_t,
		    const void *, size_t);
static void	 hash_field(crypto_generichash_state *, const void *, size_t);
static void	 hash_u64(crypto_generichash_state *, uint64_t);
static int	 granted_bit(const uint8_t *, size_t);
static unsigned	 count_granted(const struct policy *, const struct pol_list *,
		    const uint8_t *);

static void
put_u64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* A u32 big-endian length, then the bytes of a and b, one after another. */
static void
hash_field2(crypto_generichash_state *h, const void *a, size_t alen,
    const void *b, size_t blen)
{
	uint8_t	l[4];
	size_t	len = alen + blen;

	l[0] = (uint8_t)(len >> 24);
	l[1] = (uint8_t)(len >> 16);
	l[2] = (uint8_t)(len >> 8);
	l[3] = (uint8_t)len;
	crypto_generichash_update(h, l, sizeof(l));
	if (alen > 0)
		crypto_generichash_update(h, a, (unsigned long long)alen);
	if (blen > 0)
		crypto_generichash_update(h, b, (unsigned long long)blen);
}

static void
hash_field(crypto_generichash_state *h, const void *p, size_t len)
{
	hash_field2(h, p, len, NULL, 0);
}

static void
hash_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t	b[8];

	put_u64(b, v);
	hash_field(h, b, sizeof(b));
}

void
policy_req_digest(const struct policy_req *req, uint64_t pending_id,
    const char *key_id, uint64_t flags, uint8_t out[32])
{
	crypto_generichash_state	 h;
	char				 uid[16];
	uint8_t				 id[8];
	const char			*s;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *)APPROVAL_DOMAIN,
	    sizeof(APPROVAL_DOMAIN));		/* with its NUL */
	put_u64(id, pending_id);
	crypto_generichash_update(&h, id, sizeof(id));
	if (req->actor == POLICY_ACTOR_OPERATOR) {
		snprintf(uid, sizeof(uid), "%u", req->uid);
		hash_field2(&h, "operator:", 9, uid, strlen(uid));
	} else if (req->actor == POLICY_ACTOR_ANON)
		hash_field2(&h, "anonymous:", 10, "", 0);
	else {
		s = req->client != NULL ? req->client : "";
		hash_field2(&h, "client:", 7, s, strlen(s));
	}
	s = req->account != NULL ? req->account : "";
	hash_field(&h, s, strlen(s));
	hash_u64(&h, (uint64_t)req->level);
	s = req->method != NULL ? req->method : "";
	hash_field(&h, s, strlen(s));
	hash_field(&h, req->path, req->path != NULL ? req->pathlen : 0);
	hash_field(&h, req->body, req->body != NULL ? req->bodylen : 0);
	hash_u64(&h, req->nonce);
	s = key_id != NULL ? key_id : "";
	hash_field(&h, s, strlen(s));
	hash_u64(&h, flags);
	crypto_generichash_final(&h, out, 32);
	sodium_memzero(&h, sizeof(h));
}

void
policy_approval_msg(const uint8_t digest[32], uint64_t version, int grant,
    uint8_t out[POLICY_APPROVAL_MSG_LEN])
{
	memset(out, 0, DOMAIN_LEN);
	memcpy(out, APPROVAL_DOMAIN, sizeof(APPROVAL_DOMAIN) - 1);
	memcpy(out + DOMAIN_LEN, digest, 32);
	put_u64(out + DOMAIN_LEN + 32, version);
	out[DOMAIN_LEN + 32 + 8] = grant ? 1 : 0;
}

void
policy_change_msg(const uint8_t digest[POLICY_DIGEST_LEN], uint64_t version,
    uint8_t out[POLICY_CHANGE_MSG_LEN])
{
	memset(out, 0, DOMAIN_LEN);
	memcpy(out, CHANGE_DOMAIN, sizeof(CHANGE_DOMAIN) - 1);
	memcpy(out + DOMAIN_LEN, digest, POLICY_DIGEST_LEN);
	put_u64(out + DOMAIN_LEN + POLICY_DIGEST_LEN, version);
}

int
policy_approver_find(const struct policy *pol,
    const uint8_t pk[POLICY_PK_LEN], const char **name)
{
	size_t	i;

	for (i = 0; i < pol->napprovers && i < POLICY_MAX_APPROVERS; i++) {
		if (memcmp(pol->approvers[i].pk, pk, POLICY_PK_LEN) != 0)
			continue;
		if (name != NULL)
			*name = pol->approvers[i].name;
		return (int)i;
	}
	return -1;
}

size_t
policy_napprovers(const struct policy *pol)
{
	return pol->napprovers;
}

const char *
policy_approver_name(const struct policy *pol, size_t i)
{
	return i < pol->napprovers ? pol->approvers[i].name : NULL;
}

static int
granted_bit(const uint8_t *granted, size_t i)
{
	return (granted[i / 8] >> (i % 8)) & 1;
}

/* How many approvers named in names have a grant; each counts once. */
static unsigned
count_granted(const struct policy *pol, const struct pol_list *names,
    const uint8_t *granted)
{
	unsigned	n = 0;
	size_t		i, j;

	for (i = 0; i < pol->napprovers && i < POLICY_MAX_APPROVERS; i++) {
		if (!granted_bit(granted, i))
			continue;
		for (j = 0; j < names->n; j++) {
			if (strcmp(names->v[j], pol->approvers[i].name) == 0) {
				n++;
				break;
			}
		}
	}
	return n;
}

unsigned
policy_approval_missing(const struct policy *pol,
    const struct policy_verdict *v, const uint8_t granted[8])
{
	const struct pol_rule	*r;
	unsigned		 have, most = 0;
	size_t			 i;

	/* not a verdict any grant can release */
	if (v->effect != POLICY_APPROVE || v->napprove == 0 ||
	    v->napprove > POLICY_APPROVE_MAX)
		return UINT32_MAX;
	for (i = 0; i < v->napprove; i++) {
		if (v->approve[i] >= pol->nrules)
			return UINT32_MAX;
		r = &pol->rules[v->approve[i]];
		if (r->effect != POLICY_APPROVE || r->k == 0)
			return UINT32_MAX;
		have = count_granted(pol, &r->approvers, granted);
		if (have < r->k && r->k - have > most)
			most = r->k - have;
	}
	return most;
}

int
policy_approval_counts(const struct policy *pol,
    const struct policy_verdict *v, const uint8_t granted[8], size_t k)
{
	const struct pol_rule	*r;
	size_t			 i, j;

	if (policy_approval_missing(pol, v, granted) == UINT32_MAX ||
	    k >= pol->napprovers || k >= POLICY_MAX_APPROVERS ||
	    granted_bit(granted, k))
		return 0;
	for (i = 0; i < v->napprove; i++) {
		r = &pol->rules[v->approve[i]];
		if (count_granted(pol, &r->approvers, granted) >= r->k)
			continue;
		for (j = 0; j < r->approvers.n; j++)
			if (strcmp(r->approvers.v[j],
			    pol->approvers[k].name) == 0)
				return 1;
	}
	return 0;
}

int
policy_approval_satisfied(const struct policy *pol,
    const struct policy_verdict *v, const uint8_t granted[8])
{
	return policy_approval_missing(pol, v, granted) == 0;
}

unsigned
policy_change_k(const struct policy *pol)
{
	return pol->change_k;
}

int
policy_change_satisfied(const struct policy *pol, const uint8_t granted[8])
{
	if (pol->change_k == 0)
		return 1;
	return count_granted(pol, &pol->change_approvers, granted) >=
	    pol->change_k;
}
