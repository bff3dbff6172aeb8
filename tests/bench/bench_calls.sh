#!/bin/sh
# Exchange calls through the daemons (make bench): N `vaultctl apikey
# list` against the local test exchange (polymarket profile, plain HTTP
# to loopback), one after the other, each a new vaultctl process.
# Prints the wall time per call (vaultctl's start, its connection, the
# signature, netd's HTTP request and the answer) and how many audit
# checkpoints (each a vault file write) the calls caused, the CPU time
# the three daemons spent per call (every thread's schedstat: the cost
# inside the daemons, without vaultctl's start or the test exchange),
# and, for comparison, the same for `apikey derive`, which writes the
# vault.
#
# usage: CLOBVAULT_BUILD=build tests/bench/bench_calls.sh [--quick | N]
# (--quick: N=5)
B=${CLOBVAULT_BUILD:-build}
case ${1:-} in
--quick)	N=5; PAUSE=0.1 ;;
*)		N=${1:-50}; PAUSE=0.5 ;;
esac
D=$(mktemp -d /tmp/cvbench.XXXXXX) || exit 1
export CLOBVAULT_HOME=$D/home
trap 'kill $VD $TX 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
mkdir -m 700 "$CLOBVAULT_HOME"
echo "bench calls passphrase 5e1d" >"$D/pass"
chmod 600 "$D/pass"
"$B/testexchange" --profile polymarket --listen 127.0.0.1:0 \
    --port-file "$D/port" >/dev/null 2>&1 &
TX=$!
"$B/vaultd" -f -T 2>"$D/vaultd.log" &
VD=$!
V=$B/vaultctl
"$V" wait --timeout 10 >/dev/null || exit 1
i=0
while [ ! -s "$D/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$V" init --passphrase-file "$D/pass" --kdf min >/dev/null &&
"$V" account add main --profile polymarket \
    --url "http://127.0.0.1:$(cat "$D/port")" >/dev/null &&
"$V" wallet generate --account main >/dev/null &&
"$V" apikey create --account main >/dev/null || exit 1

ckpts() { grep -c '	checkpoint	' "$CLOBVAULT_HOME/audit.log"; }

# Nanoseconds on a CPU so far, every thread of process $1.
proc_ns() {
	t=0
	for f in /proc/$1/task/*/schedstat; do
		read -r ns _ <"$f" 2>/dev/null && t=$((t + ns))
	done
	echo $t
}

# Nanoseconds on a CPU so far, "vaultd signerd netd": every thread of
# vaultd and of each child.
cpu_ns() {
	s=0
	n=0
	for p in $(cat /proc/$VD/task/*/children 2>/dev/null); do
		case $(cat /proc/$p/comm 2>/dev/null) in
		signerd)	s=$(proc_ns $p) ;;
		netd)		n=$(proc_ns $p) ;;
		esac
	done
	echo $(proc_ns $VD) $s $n
}

# run NAME COMMAND...: N times, then the figures
run() {
	name=$1; shift
	sleep $PAUSE
	c0=$(ckpts)
	u0=$(cpu_ns)
	t0=$(date +%s%N)
	i=0
	while [ $i -lt "$N" ]; do
		"$V" "$@" >/dev/null || { echo "bench_calls: $* failed"; exit 1; }
		i=$((i + 1))
	done
	t1=$(date +%s%N)
	u1=$(cpu_ns)
	sleep $PAUSE
	c1=$(ckpts)
	v=$((${u1%% *} - ${u0%% *}))
	n=$((${u1##* } - ${u0##* }))
	u0=${u0#* }
	u1=${u1#* }
	s=$((${u1%% *} - ${u0%% *}))
	printf '  %-16s %6d us a call, %5d us CPU in the daemons a call, %d checkpoints (vault writes) for %d calls\n' \
	    "$name" $(((t1 - t0) / N / 1000)) $(((v + s + n) / N / 1000)) \
	    $((c1 - c0)) "$N"
	printf '  %-16s (vaultd %d, signerd %d, netd %d us)\n' "" \
	    $((v / N / 1000)) $((s / N / 1000)) $((n / N / 1000))
}

echo "exchange calls, one at a time, each a new vaultctl (tests/bench/bench_calls.sh $N):"
run "apikey list" apikey list --account main
run "apikey derive" apikey derive --account main --nonce 0
echo "  (read-only calls are recorded with the signatures and checkpointed by"
echo "   count or age; a call that may change the vault is checkpointed at once;"
echo "   CPU: vaultd, signerd and netd, every thread, from /proc/PID/task/*/schedstat)"
echo "reproduce: CLOBVAULT_BUILD=$B tests/bench/bench_calls.sh ${1:-$N}"
