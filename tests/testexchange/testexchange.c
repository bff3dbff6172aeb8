/*
 * testexchange: the local exchange the tests and `make demo` talk to.
 * main parses the flags, opens the listening socket, loads the state,
 * starts the HTTP(S) server and waits for SIGINT or SIGTERM.  Usage and
 * every option are in README.md next to this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secp.h"
#include "tests/testexchange/tx.h"

#define PEM_MAX		(1024 * 1024)
#define INVITES_MAX	256
#define MARKETS_MAX	256

enum {
	OPT_PROFILE = 256, OPT_LISTEN, OPT_INVITE, OPT_INVITE_FILE,
	OPT_INVITE_TTL, OPT_CHAIN_ID, OPT_STATE, OPT_TLS_CERT, OPT_TLS_KEY,
	OPT_LOG, OPT_PORT_FILE, OPT_WINDOW, OPT_TOKEN_LIFETIME,
	OPT_SECRET_FIELD, OPT_NO_ADMIN, OPT_LATENCY, OPT_FAIL_NEXT,
	OPT_FAIL_STATUS, OPT_DROP_NEXT, OPT_CLOCK_OFFSET, OPT_PROPAGATION,
	OPT_RATE_LIMIT, OPT_MARKET,
};

static const struct option longopts[] = {
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "invite", required_argument, NULL, OPT_INVITE },
	{ "invite-file", required_argument, NULL, OPT_INVITE_FILE },
	{ "invite-ttl", required_argument, NULL, OPT_INVITE_TTL },
	{ "chain-id", required_argument, NULL, OPT_CHAIN_ID },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "token-lifetime", required_argument, NULL, OPT_TOKEN_LIFETIME },
	{ "omnia-secret-field", required_argument, NULL, OPT_SECRET_FIELD },
	{ "no-admin", no_argument, NULL, OPT_NO_ADMIN },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "fail-next", required_argument, NULL, OPT_FAIL_NEXT },
	{ "fail-status", required_argument, NULL, OPT_FAIL_STATUS },
	{ "drop-next", required_argument, NULL, OPT_DROP_NEXT },
	{ "clock-offset", required_argument, NULL, OPT_CLOCK_OFFSET },
	{ "propagation-delay", required_argument, NULL, OPT_PROPAGATION },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "market", required_argument, NULL, OPT_MARKET },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void	usage(void) __attribute__((noreturn));
static void	usage_err(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static int64_t	num(const char *, const char *, int64_t, int64_t);
static int	listen_on(const char *, int *) CV_WUR;
static char	*read_pem(const char *);
static void	write_port_file(const char *, int);
static void	add_invites_file(struct tx *, const char *, int64_t);
static void	add_invite(struct tx *, const char *, int64_t);
static void	add_markets(struct tx *, const char *const *, size_t);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: testexchange --profile openfish|polymarket|omnia "
	    "--listen HOST:PORT\n"
	    "           [--invite CODE]... [--invite-file F] [--invite-ttl S]"
	    " [--chain-id N]\n"
	    "           [--state FILE] [--tls-cert F --tls-key F] [--log F]"
	    " [--port-file F]\n"
	    "           [--window S] [--token-lifetime S]"
	    " [--omnia-secret-field NAME] [--no-admin]\n"
	    "           [--latency MS] [--fail-next N] [--fail-status CODE]"
	    " [--drop-next N]\n"
	    "           [--clock-offset S] [--propagation-delay MS]"
	    " [--rate-limit N]\n"
	    "           [--market TOKEN[:TICK[:negrisk][:fee=BPS]]]... [-v]\n");
	exit(2);
}

/* A flag that cannot be right: say which and why, exit 2. */
static void
usage_err(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "testexchange: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* A decimal integer in [min, max], or exit 2 naming the flag. */
static int64_t
num(const char *flag, const char *s, int64_t min, int64_t max)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		usage_err("--%s: expected an integer from %lld to %lld", flag,
		    (long long)min, (long long)max);
	}
	return v;
}

/*
 * Bind HOST:PORT (IPv4 "a.b.c.d" or IPv6 "[addr]", numeric only; port 0
 * lets the kernel choose, see --port-file).  The bound port in *port.
 * -2 for a malformed HOST:PORT, -1 when the socket cannot be had.
 */
static int
listen_on(const char *spec, int *port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl;
	char			 host[64];
	const char		*colon;
	size_t			 hl;
	int64_t			 p;
	int			 fd = -1, one = 1;

	*port = 0;
	if ((colon = strrchr(spec, ':')) == NULL ||
	    (hl = (size_t)(colon - spec)) == 0 || hl >= sizeof(host))
		return -2;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	p = num("listen", colon + 1, 0, 65535);
	memset(&ss, 0, sizeof(ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -2;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		sl = sizeof(*s6);
	} else {
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -2;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		sl = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ? s6->sin6_port :
	    s4->sin_port);
	return fd;
}

static char *
read_pem(const char *path)
{
	struct stat	 sb;
	char		*buf = NULL;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("%s", path);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || sb.st_size > PEM_MAX)
		fatalx("%s: not a PEM file of at most %d bytes", path, PEM_MAX);
	if ((buf = sodium_malloc((size_t)sb.st_size + 1)) == NULL)
		fatalx("out of memory");
	while (off < (size_t)sb.st_size) {
		if ((n = read(fd, buf + off, (size_t)sb.st_size - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			fatal("%s: read", path);
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	return buf;
}

/* Readers poll for the file, so it appears whole or not at all. */
static void
write_port_file(const char *path, int port)
{
	char	tmp[4096];
	FILE	*f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		fatalx("--port-file: path too long");
	if ((f = fopen(tmp, "w")) == NULL || fprintf(f, "%d\n", port) < 0 ||
	    fclose(f) != 0 || rename(tmp, path) == -1)
		fatal("%s", path);
}

/* The code itself is never printed: it is a credential. */
static void
add_invite(struct tx *tx, const char *code, int64_t exp)
{
	int	r = tx_invite_add(&tx->st, code, exp);

	if (r == CV_ERR_INVALID)
		usage_err("invitation code: 1 to %d printable ASCII "
		    "characters", TX_CODE_MAX);
	if (r != 0 && r != CV_ERR_EXISTS)
		fatalx("invitation code: %s", cv_strerror(r));
}

static void
add_invites_file(struct tx *tx, const char *path, int64_t exp)
{
	char	 line[TX_CODE_MAX + 2];
	FILE	*f;
	size_t	 len;

	if ((f = fopen(path, "r")) == NULL)
		fatal("%s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f))
			fatalx("%s: line too long", path);
		if (len > 0 && line[0] != '#')
			add_invite(tx, line, exp);
	}
	sodium_memzero(line, sizeof(line));
	fclose(f);
}

/*
 * The --market flags; without any, tokens 1234 and 5678 at tick 0.01,
 * not neg-risk, no fee.
 */
static void
add_markets(struct tx *tx, const char *const *specs, size_t n)
{
	size_t	i;

	if (tx->kind == TX_OMNIA) {
		if (n > 0)
			usage_err("--market: Omnia has no CLOB markets");
		return;
	}
	if (n == 0 && (tx_market_set(&tx->st, "1234", 2, 0, 0) != 0 ||
	    tx_market_set(&tx->st, "5678", 2, 0, 0) != 0))
		fatalx("out of memory");
	for (i = 0; i < n; i++)
		if (tx_market_spec(&tx->st, specs[i]) != 0)
			usage_err("--market %s: expected TOKEN[:TICK[:negrisk]"
			    "[:fee=BPS]], TOKEN decimal, TICK 0.1, 0.01, "
			    "0.001 or 0.0001, BPS 0 to 1000", specs[i]);
}

int
main(int argc, char *argv[])
{
	struct tx		 tx;
	struct tx_server	*srv = NULL;
	const char		*profile = NULL, *listen_spec = NULL;
	const char		*cert = NULL, *key = NULL, *logpath = NULL;
	const char		*portfile = NULL, *invfile = NULL;
	const char		*invites[INVITES_MAX];
	const char		*markets[MARKETS_MAX];
	char			*cert_pem = NULL, *key_pem = NULL;
	size_t			 ninvites = 0, nmarkets = 0, i;
	int64_t			 chain = -1, invite_ttl = 0, rate = 0, exp;
	sigset_t		 set;
	int			 ch, fd, port, sig, verbose = 0, r;

	memset(&tx, 0, sizeof(tx));
	tx.window = TX_WINDOW_DEFAULT;
	tx.token_lifetime = TX_TOKEN_LIFETIME;
	tx.secret_field = "secret";
	tx.admin = 1;
	if (tx_fault_init(&tx.fault) != 0)
		return 1;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_PROFILE:	profile = optarg; break;
		case OPT_LISTEN:	listen_spec = optarg; break;
		case OPT_INVITE:
			if (ninvites == INVITES_MAX)
				usage();
			invites[ninvites++] = optarg;
			break;
		case OPT_INVITE_FILE:	invfile = optarg; break;
		case OPT_INVITE_TTL:
			invite_ttl = num("invite-ttl", optarg, 1,
			    3650 * 86400LL);
			break;
		case OPT_CHAIN_ID:
			chain = num("chain-id", optarg, 1, INT64_MAX);
			break;
		case OPT_STATE:		tx.state_path = optarg; break;
		case OPT_TLS_CERT:	cert = optarg; break;
		case OPT_TLS_KEY:	key = optarg; break;
		case OPT_LOG:		logpath = optarg; break;
		case OPT_PORT_FILE:	portfile = optarg; break;
		case OPT_WINDOW:
			tx.window = num("window", optarg, 0, 86400);
			break;
		case OPT_TOKEN_LIFETIME:
			tx.token_lifetime = num("token-lifetime", optarg, 1,
			    3650 * 86400LL);
			break;
		case OPT_SECRET_FIELD:
			if (strlen(optarg) == 0 || strlen(optarg) > 64)
				usage();
			tx.secret_field = optarg;
			break;
		case OPT_NO_ADMIN:	tx.admin = 0; break;
		case OPT_LATENCY:
			tx.fault.latency_ms = num("latency", optarg, 0, 60000);
			break;
		case OPT_FAIL_NEXT:
			tx.fault.fail_next = num("fail-next", optarg, 0,
			    1000000);
			break;
		case OPT_FAIL_STATUS:
			tx.fault.fail_status = (unsigned int)num("fail-status",
			    optarg, 500, 599);
			break;
		case OPT_DROP_NEXT:
			tx.fault.drop_next = num("drop-next", optarg, 0,
			    1000000);
			break;
		case OPT_CLOCK_OFFSET:
			tx.fault.clock_offset = num("clock-offset", optarg,
			    -3650 * 86400LL, 3650 * 86400LL);
			break;
		case OPT_PROPAGATION:
			tx.fault.propagation_ms = num("propagation-delay",
			    optarg, 0, 600000);
			break;
		case OPT_RATE_LIMIT:
			rate = num("rate-limit", optarg, 0, 100000);
			break;
		case OPT_MARKET:
			if (nmarkets == MARKETS_MAX)
				usage();
			markets[nmarkets++] = optarg;
			break;
		case 'v':		verbose = 1; break;
		default:		usage();
		}
	}
	if (optind != argc || profile == NULL || listen_spec == NULL ||
	    (cert == NULL) != (key == NULL))
		usage();
	log_init("testexchange", verbose);
	if ((tx.prof = profile_find(profile)) == NULL)
		usage_err("unknown profile %s (openfish, polymarket, omnia)",
		    profile);
	tx.kind = strcmp(profile, "openfish") == 0 ? TX_OPENFISH :
	    strcmp(profile, "polymarket") == 0 ? TX_POLYMARKET : TX_OMNIA;
	tx.chain_id = chain > 0 ? (uint64_t)chain : tx.prof->chain_id;
	if (sodium_init() < 0 || (tx.secp = secp_ctx_new()) == NULL)
		fatalx("crypto initialization failed");
	json_object_seed(0);
	if (tx_fault_rate(&tx.fault, rate) != 0)
		fatalx("out of memory");
	if (pthread_mutex_init(&tx.lock, NULL) != 0)
		fatalx("mutex");
	tx_state_init(&tx.st);
	if (tx.state_path != NULL) {
		r = tx_store_load(&tx.st, tx.state_path, tx.prof->name);
		if (r != 0 && r != CV_ERR_NOTFOUND)
			fatalx("%s: %s (a state file of another profile, or "
			    "damaged: move it away)", tx.state_path,
			    cv_strerror(r));
	}
	add_markets(&tx, markets, nmarkets);
	exp = invite_ttl > 0 ? (tx_now_ms(&tx) / 1000) + invite_ttl : 0;
	for (i = 0; i < ninvites; i++)
		add_invite(&tx, invites[i], exp);
	if (invfile != NULL)
		add_invites_file(&tx, invfile, exp);
	tx_persist(&tx);
	if ((r = tx_log_open(&tx.log, logpath, verbose)) != 0)
		fatal("%s", logpath);
	if (cert != NULL) {
		cert_pem = read_pem(cert);
		key_pem = read_pem(key);
	}
	if ((fd = listen_on(listen_spec, &port)) == -2)
		usage_err("--listen %s: expected a.b.c.d:PORT or [v6]:PORT",
		    listen_spec);
	if (fd == -1)
		fatal("cannot listen on %s", listen_spec);

	/* Signals go to this thread only; the server threads inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		fatalx("sigmask");
	signal(SIGPIPE, SIG_IGN);
	if ((r = tx_http_start(&tx, fd, cert_pem, key_pem, &srv)) != 0)
		fatalx("cannot start the HTTP server: %s%s", cv_strerror(r),
		    cert != NULL ? " (check the certificate and key)" : "");
	if (portfile != NULL)
		write_port_file(portfile, port);
	log_info("profile %s (chain %llu) on %s port %d%s", tx.prof->name,
	    (unsigned long long)tx.chain_id, listen_spec, port,
	    cert != NULL ? " (https)" : "");

	do {
		if (sigwait(&set, &sig) != 0)
			fatalx("sigwait");
	} while (sig == SIGHUP);

	tx_http_stop(srv);
	close(fd);
	pthread_mutex_lock(&tx.lock);
	tx_persist(&tx);
	tx_state_free(&tx.st);
	tx_log_close(&tx.log);
	tx_fault_free(&tx.fault);
	pthread_mutex_unlock(&tx.lock);
	secp_ctx_free(tx.secp);
	sodium_free(cert_pem);
	sodium_free(key_pem);
	if (portfile != NULL)
		unlink(portfile);
	log_info("stopped by signal %d", sig);
	return 0;
}
