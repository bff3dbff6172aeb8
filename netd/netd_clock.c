/*
 * netd's clocks: micro- and milliseconds of the monotonic one, seconds
 * of the real one (netd.h).
 */
#include <stdint.h>
#include <time.h>

#include "netd/netd.h"

int64_t
netd_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
netd_now_ms(void)
{
	return netd_now_us() / 1000;
}

int64_t
netd_time(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}
