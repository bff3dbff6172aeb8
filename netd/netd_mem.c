/*
 * The allocator libcurl, OpenSSL and jansson use in netd.  Through them
 * pass the request headers (an API passphrase, an invitation code) and
 * the bodies of answers (a freshly created credential): OpenSSL
 * decrypts each TLS record in place in its read buffer, libcurl copies
 * it on, jansson parses it.  So every block carries its size in front
 * and is wiped when it is freed or moved.  realloc never leaves a copy
 * behind: it allocates, copies and wipes the old block.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "common/log.h"
#include "netd/netd.h"

/* Keeps the block after the size as aligned as malloc's own. */
#define MEM_HDR		16

/*
 * What jansson holds at once.  A tree costs many times its text: 4 MiB
 * of "[{},{},...]" from an exchange took 370 MB to parse.  netd keeps
 * one tree at a time and only while it reads it, and the largest texts
 * it reads (answers of NETD_BODY_MAX, orders of NETD_GW_BODY_MAX, a
 * /book it learns from) fit in a few MiB; past NETD_JSON_MAX the parse
 * fails and the text counts as unreadable.
 */
#define NETD_JSON_MAX	(16 * 1024 * 1024)
static size_t	json_live;

static void *
mem_malloc(size_t n)
{
	uint8_t	*p;

	if (n > SIZE_MAX - MEM_HDR || (p = malloc(n + MEM_HDR)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	p[sizeof(n)] = 0;		/* not jansson's */
	return p + MEM_HDR;
}

static size_t
mem_size(const void *q)
{
	size_t	n;

	memcpy(&n, (const uint8_t *)q - MEM_HDR, sizeof(n));
	return n;
}

static void
mem_free(void *q)
{
	uint8_t	*p;

	if (q == NULL)
		return;
	p = (uint8_t *)q - MEM_HDR;
	if (p[sizeof(size_t)])		/* jansson's: json_dumps' text too */
		json_live -= mem_size(q);
	sodium_memzero(p, mem_size(q) + MEM_HDR);
	free(p);
}

static void *
mem_realloc(void *q, size_t n)
{
	void	*nq;
	size_t	 old;

	if (q == NULL)
		return mem_malloc(n);
	old = mem_size(q);
	if ((nq = mem_malloc(n)) == NULL)
		return NULL;
	memcpy(nq, q, old < n ? old : n);
	mem_free(q);
	return nq;
}

static void *
mem_calloc(size_t a, size_t b)
{
	void	*q;

	if (b != 0 && a > SIZE_MAX / b)
		return NULL;
	if ((q = mem_malloc(a * b)) != NULL)
		memset(q, 0, a * b);
	return q;
}

static char *
mem_strdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*q;

	if ((q = mem_malloc(n)) != NULL)
		memcpy(q, s, n);
	return q;
}

/*
 * OpenSSL's: the same blocks.  Its many small ones make the size in
 * front cost netd 0.09 MiB of heap after an HTTPS call, 0.26 MiB once
 * the system bundle is parsed (README.md, "Memory").  file and line are
 * for OpenSSL's own debugging allocator.  A size of 0 frees, as
 * CRYPTO_realloc does.
 */
static void *
ossl_malloc(size_t n, const char *file, int line)
{
	return mem_malloc(n);
}

static void *
ossl_realloc(void *q, size_t n, const char *file, int line)
{
	if (q != NULL && n == 0) {
		mem_free(q);
		return NULL;
	}
	return mem_realloc(q, n);
}

static void
ossl_free(void *q, const char *file, int line)
{
	mem_free(q);
}

/* jansson's blocks are marked in the header, for mem_free to count. */
static void *
json_malloc(size_t n)
{
	uint8_t	*q;

	if (n > NETD_JSON_MAX - json_live || (q = mem_malloc(n)) == NULL)
		return NULL;
	(q - MEM_HDR)[sizeof(size_t)] = 1;
	json_live += n;
	return q;
}

void
netd_mem_free(void *q)
{
	mem_free(q);
}

void *
netd_mem_malloc(size_t n)
{
	return mem_malloc(n);
}

void *
netd_mem_realloc(void *q, size_t n)
{
	return mem_realloc(q, n);
}

size_t
netd_mem_size(const void *q)
{
	return mem_size(q);
}

int
netd_mem_init(void)
{
	/*
	 * OpenSSL takes an allocator only before it first allocates, and
	 * curl_global_init initialises it: this comes first.
	 */
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
		log_warnx("OpenSSL allocated before netd set its allocator");
		return CV_ERR_INTERNAL;
	}
	json_set_alloc_funcs(json_malloc, mem_free);
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, mem_malloc, mem_free,
	    mem_realloc, mem_strdup, mem_calloc) != CURLE_OK)
		return CV_ERR_INTERNAL;
	return 0;
}
