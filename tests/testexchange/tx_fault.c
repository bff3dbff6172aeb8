/*
 * Fault injection: added latency, the next N requests failing with a
 * 5xx, dropped connections, a clock offset, a propagation delay for new
 * keys, and 429 rate limiting.  Set by flags at start and by the admin
 * endpoint at run time; admin requests are never subject to them.
 *
 * Order for each request: drop, then injected failure, then the rate
 * limit; a request that passes is delayed by the latency, then handled.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/testexchange/tx.h"

#define TEN_YEARS	(10LL * 366 * 86400)

struct fault_field {
	const char	*name;
	int64_t		 min, max;
	size_t		 off;
};

static const struct fault_field fields[] = {
	{ "latency_ms", 0, 60000, offsetof(struct tx_fault, latency_ms) },
	{ "fail_next", 0, 1000000, offsetof(struct tx_fault, fail_next) },
	{ "drop_next", 0, 1000000, offsetof(struct tx_fault, drop_next) },
	{ "clock_offset", -TEN_YEARS, TEN_YEARS,
	    offsetof(struct tx_fault, clock_offset) },
	{ "propagation_ms", 0, 600000,
	    offsetof(struct tx_fault, propagation_ms) },
	{ "jwt_reject_next", 0, 1000000,
	    offsetof(struct tx_fault, jwt_reject_next) },
	{ "lose_rotate_next", 0, 1000000,
	    offsetof(struct tx_fault, lose_rotate_next) },
	{ "lose_next", 0, 1000000, offsetof(struct tx_fault, lose_next) },
	{ "grant_all_next", 0, 1000000,
	    offsetof(struct tx_fault, grant_all_next) },
};

int
tx_fault_init(struct tx_fault *f)
{
	memset(f, 0, sizeof(*f));
	f->fail_status = 503;
	return 0;
}

void
tx_fault_free(struct tx_fault *f)
{
	free(f->rl_ring);
	memset(f, 0, sizeof(*f));
}

int
tx_fault_rate(struct tx_fault *f, int64_t per_second)
{
	int64_t	*ring = NULL;

	if (per_second < 0 || per_second > 100000)
		return CV_ERR_INVALID;
	if (per_second > 0 &&
	    (ring = calloc((size_t)per_second, sizeof(*ring))) == NULL)
		return CV_ERR_NOMEM;
	free(f->rl_ring);
	f->rl_ring = ring;
	f->rl_cap = (size_t)per_second;
	f->rl_n = f->rl_head = 0;
	f->rate_limit = per_second;
	return 0;
}

int
tx_fault_set(struct tx_fault *f, json_t *obj, const char **err)
{
	struct tx_fault	 next = *f;
	const char	*key;
	json_t		*v;
	json_int_t	 n;
	size_t		 i;
	int64_t		 rate = -1;
	int		 r;

	*err = NULL;
	if (!json_is_object(obj)) {
		*err = "body must be a JSON object";
		return CV_ERR_INVALID;
	}
	/* Everything is checked before anything changes. */
	json_object_foreach(obj, key, v) {
		*err = key;
		if (!json_is_integer(v))
			return CV_ERR_INVALID;
		n = json_integer_value(v);
		if (strcmp(key, "fail_status") == 0) {
			if (n < 500 || n > 599)
				return CV_ERR_INVALID;
			next.fail_status = (unsigned int)n;
			continue;
		}
		if (strcmp(key, "rate_limit") == 0) {
			if (n < 0 || n > 100000)
				return CV_ERR_INVALID;
			rate = n;
			continue;
		}
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i].name) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0]) ||
		    n < fields[i].min || n > fields[i].max)
			return CV_ERR_INVALID;
		*(int64_t *)(void *)((char *)&next + fields[i].off) = n;
	}
	*err = NULL;
	if (rate >= 0 && (r = tx_fault_rate(&next, rate)) != 0)
		return r;
	*f = next;
	return 0;
}

json_t *
tx_fault_json(const struct tx_fault *f)
{
	return json_pack("{s:I, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I}",
	    "latency_ms", (json_int_t)f->latency_ms,
	    "fail_next", (json_int_t)f->fail_next,
	    "fail_status", (int)f->fail_status,
	    "drop_next", (json_int_t)f->drop_next,
	    "clock_offset", (json_int_t)f->clock_offset,
	    "propagation_ms", (json_int_t)f->propagation_ms,
	    "rate_limit", (json_int_t)f->rate_limit,
	    "jwt_reject_next", (json_int_t)f->jwt_reject_next,
	    "lose_rotate_next", (json_int_t)f->lose_rotate_next,
	    "lose_next", (json_int_t)f->lose_next,
	    "grant_all_next", (json_int_t)f->grant_all_next);
}

int64_t
tx_now_ms(const struct tx *tx)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    tx->fault.clock_offset * 1000;
}

int
tx_fault_gate(struct tx *tx, int64_t now_ms, struct tx_resp *resp,
    int64_t *latency_ms)
{
	struct tx_fault	*f = &tx->fault;
	size_t		 oldest;

	*latency_ms = f->latency_ms;
	if (f->drop_next > 0) {
		f->drop_next--;
		resp->drop = 1;
		resp->status = 0;
		resp->verdict = "fault:drop";
		return 1;
	}
	if (f->fail_next > 0) {
		f->fail_next--;
		if (tx->kind == TX_OMNIA)
			tx_resp_oerr(resp, f->fail_status, "INTERNAL_ERROR",
			    "injected failure", "fault:5xx");
		else
			tx_resp_err(resp, f->fail_status, "injected failure",
			    "fault:5xx");
		return 1;
	}
	if (f->rl_cap > 0) {
		/* A sliding window: at most rl_cap requests in any second. */
		if (f->rl_n == f->rl_cap) {
			oldest = f->rl_head;
			if (now_ms - f->rl_ring[oldest] < 1000) {
				if (tx->kind == TX_OMNIA)
					tx_resp_oerr(resp, 429,
					    "TOO_MANY_REQUESTS",
					    "rate limit exceeded",
					    "fault:429");
				else
					tx_resp_err(resp, 429,
					    "Too Many Requests", "fault:429");
				resp->retry_after = 1;
				return 1;
			}
			f->rl_ring[oldest] = now_ms;
			f->rl_head = (f->rl_head + 1) % f->rl_cap;
		} else {
			f->rl_ring[(f->rl_head + f->rl_n) % f->rl_cap] = now_ms;
			f->rl_n++;
		}
	}
	return 0;
}
