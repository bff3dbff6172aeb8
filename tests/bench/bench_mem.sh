#!/bin/sh
# Resident memory of the three daemons (make bench): vaultd, signerd and
# netd's RSS and PSS in KiB from /proc/PID/smaps_rollup.  vaultd is
# restarted after the set-up, so that none of its calls counts, then:
# unlocked and idle; after one HTTPS `vaultctl apikey list` to the local
# test exchange (openfish profile, TLS with a CA made here and given to
# the account); after a second one.  Restarted again: after one call of
# an account with no CA of its own (netd reads the system bundle, which
# refuses the exchange's certificate).  With -v, netd's largest mappings
# before and after each first call, and what grew.
#
# PSS shares a library's pages among every process that maps it, so it
# moves with what else runs on the machine; RSS does not.  The daemons
# are not dumpable: reading their smaps needs root (else skipped).
#
# usage: CLOBVAULT_BUILD=build tests/bench/bench_mem.sh [-v]
B=${CLOBVAULT_BUILD:-build}
VERBOSE=0
[ "$1" = "-v" ] && VERBOSE=1
D=$(mktemp -d /tmp/cvbenchmem.XXXXXX) || exit 1
export CLOBVAULT_HOME=$D/home
VD=
TX=
trap 'kill $VD $TX 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
mkdir -m 700 "$CLOBVAULT_HOME"
echo "bench mem passphrase 7a2c" >"$D/pass"
chmod 600 "$D/pass"
V=$B/vaultctl
INVITE=INV-benchmem$$

# A CA and a certificate for 127.0.0.1, as tests/test_it_calls.c makes.
(cd "$D" && printf '%s\n' subjectAltName=IP:127.0.0.1 \
    basicConstraints=critical,CA:FALSE extendedKeyUsage=serverAuth >ext &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=cvbench-ca \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	-set_serial 7 -days 1 -extfile ext -out server.pem &&
    chmod a+r ca.pem) \
    >/dev/null 2>&1 || { echo "bench_mem: openssl failed"; exit 1; }

"$B/testexchange" --profile openfish --listen 127.0.0.1:0 \
    --port-file "$D/port" --tls-cert "$D/server.pem" \
    --tls-key "$D/server.key" --invite "$INVITE" >/dev/null 2>&1 &
TX=$!
i=0
while [ ! -s "$D/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
URL=https://127.0.0.1:$(cat "$D/port")

start() {
	"$B/vaultd" -f -T 2>>"$D/vaultd.log" &
	VD=$!
	"$V" wait --timeout 10 >/dev/null || { echo "bench_mem: no vaultd"; exit 1; }
}

stop() {
	kill "$VD"
	wait "$VD" 2>/dev/null
	VD=
}

# pids: vaultd, signerd, netd, from vaultctl status
pids() {
	"$V" --json status | sed -n 's/.*"pid": \([0-9]*\).*/\1/p' | tr '\n' ' '
}

# rollup PID FIELD: the field of smaps_rollup in KiB
rollup() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/smaps_rollup"
}

# show LABEL: one line of RSS and PSS per daemon and the sums
show() {
	set -- "$1" $(pids)
	label=$1; shift
	sleep 0.3	# let the daemons settle after the answer
	rs=0; ps=0; line=""
	for name in vaultd signerd netd; do
		r=$(rollup "$1" Rss); p=$(rollup "$1" Pss)
		line="$line$(printf ' %s %5d/%5d' "$name" "$r" "$p")"
		rs=$((rs + r)); ps=$((ps + p))
		NETD=$1
		shift
	done
	printf '  %-26s%s  sum %5d/%5d KiB (%.1f/%.1f MiB)\n' "$label" \
	    "$line" "$rs" "$ps" "$(echo "$rs / 1024" | bc -l)" \
	    "$(echo "$ps / 1024" | bc -l)"
}

# snap FILE: netd's RSS by file mapped (anonymous: [heap], [anon]...)
snap() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" }
	    $1 == "Rss:" { rss[name] += $2 }
	    END { for (n in rss) printf "%s %d\n", n, rss[n] }' \
	    "/proc/$NETD/smaps" | sort >"$1"
}

# detail BEFORE AFTER: the largest mappings of netd, and what grew
detail() {
	echo "  netd by mapping, RSS KiB before and after:"
	join -a 2 -e 0 -o 0,1.2,2.2 "$1" "$2" |
	    awk '$3 > 0 { printf "    %6d %6d %+6d  %s\n", $2, $3, $3 - $2,
		$1 }' | sort -k2 -rn | head -25
}

# The vault: an account with the exchange's CA, a wallet, an API key;
# and an account with no CA of its own.
start
"$V" init --passphrase-file "$D/pass" --kdf min >/dev/null &&
"$V" account add main --profile openfish --url "$URL" \
    --ca-file "$D/ca.pem" >/dev/null &&
"$V" account add sys --profile openfish --url "$URL" >/dev/null &&
"$V" wallet generate --account main >/dev/null &&
"$V" wallet generate --account sys >/dev/null &&
echo "$INVITE" | "$V" invite set --account main >/dev/null &&
"$V" apikey create --account main >/dev/null ||
    { echo "bench_mem: set-up failed"; exit 1; }
stop

echo "resident memory, RSS/PSS in KiB (tests/bench/bench_mem.sh):"
start
"$V" unlock --passphrase-file "$D/pass" >/dev/null || exit 1
set -- $(pids)
if ! cat "/proc/$3/smaps_rollup" >/dev/null 2>&1; then
	echo "  skipped: reading the daemons' memory needs root"
	exit 0
fi
show "unlocked, idle"
snap "$D/idle"
"$V" apikey list --account main >/dev/null ||
    { echo "bench_mem: apikey list failed"; exit 1; }
show "after one HTTPS call"
snap "$D/call"
[ $VERBOSE -eq 1 ] && detail "$D/idle" "$D/call"
"$V" apikey list --account main >/dev/null
show "after a second call"
stop

start
"$V" unlock --passphrase-file "$D/pass" >/dev/null || exit 1
show "unlocked, idle" >/dev/null
snap "$D/idle"
"$V" apikey derive --account sys >"$D/sys.out" 2>&1 && {
	echo "bench_mem: the system bundle accepted the test CA"; exit 1; }
grep -q "unable to get local issuer certificate" "$D/sys.out" || {
	echo "bench_mem: the system-CA call failed otherwise:"
	cat "$D/sys.out"; exit 1; }
show "after a system-CA call"
snap "$D/sys"
[ $VERBOSE -eq 1 ] && detail "$D/idle" "$D/sys"
stop
echo "  command: CLOBVAULT_BUILD=$B tests/bench/bench_mem.sh"
