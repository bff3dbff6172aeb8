#!/bin/sh
# Packaging and installation, through the real files and binaries:
#  - the man pages pass `mandoc -T lint` (or groff's warnings);
#  - `make install DESTDIR=...` lays out the tree README's "Deploying"
#    describes, each program links only the libraries it needs, and the
#    installed vaultd runs the installed signerd and netd: `vaultctl
#    status` and `vaultctl init` through the installed vaultctl;
#  - every long option vaultctl parses is in `vaultctl help`; the bash
#    completion is installed for vaultctl and completes its commands,
#    subcommands and options;
#  - the systemd units pass `systemd-analyze verify`, the rotation unit
#    rates 2.0 at most with `systemd-analyze security`, and vaultd runs
#    under the unit's capability bounding set with no_new_privs;
#  - `make deb` builds clobvault_VERSION_ARCH.deb, lintian finds nothing
#    (debian/clobvault.lintian-overrides explains what it overrides), the
#    package's layout and modes are right, its maintainer scripts start
#    and enable nothing on a first install, stop what runs before an
#    upgrade or a downgrade replaces the binaries and start it again
#    after, and stop the units on removal, and the unpacked package runs.
# A check whose tool is missing is skipped, with the package to install.
# usage: BUILD=<build dir> tests/test_install.sh   (from the top directory)
set -u
B=${BUILD:-build}
pass=0; fail=0; skip=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
no() { fail=$((fail + 1)); echo "FAIL - $*"; }
skipped() { skip=$((skip + 1)); echo "skip - $*"; }
check() {	# description command...: ok when the command succeeds
	check_what=$1; shift
	if "$@"; then ok "$check_what"; else no "$check_what"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }

tmp=$(mktemp -d /tmp/cvinstall.XXXXXX)
chmod 0700 "$tmp"
vpid=
cleanup() {
	if [ -n "$vpid" ]; then
		kill "$vpid" 2>/dev/null
		wait "$vpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# mode owner path: a file's mode (octal) and owner are as expected.
has_mode() {
	[ -f "$3" ] && [ "$(stat -c %a "$3")" = "$1" ] &&
	    [ "$(stat -c %U "$3")" = "$2" ]
}

# The libraries a program must not need (NEEDED entries).
needs_none() {	# program lib...
	f=$1; shift
	n=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	[ -n "$n" ] || return 1
	for l in "$@"; do
		case " $(echo $n) " in *" $l"*) echo "  $f needs $l"; return 1;; esac
	done
}

# The pid of vaultd's child running the program at path, or nothing.
child_running() {	# vaultd-pid path
	for pd in /proc/[0-9]*; do
		[ "$(awk '{print $4}' "$pd/stat" 2>/dev/null)" = "$1" ] || continue
		[ "$(readlink "$pd/exe" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

# Start sbin/vaultd of an installed tree (optionally under a wrapper),
# check that it runs that tree's children, run the installed vaultctl's
# status and init, stop it.
run_tree() {	# label vaultd vaultctl libexecdir [wrapper...]
	label=$1 vd=$2 vc=$3 lx=$4; shift 4
	home=$tmp/home-$label
	mkdir -m 0700 "$home"
	# no configuration from /etc: an empty one, where vaultd takes -c
	: >"$tmp/empty.conf"
	conf=
	"$vd" -h 2>&1 | grep -q '^ *-c ' && conf="-c $tmp/empty.conf"
	CLOBVAULT_HOME=$home "$@" "$vd" -f $conf 2>"$tmp/$label.log" &
	vpid=$!
	# until it answers with both children up (signerd's handshake)
	i=0
	until CLOBVAULT_HOME=$home "$vc" status >"$tmp/$label.status" 2>&1 &&
	    [ "$(grep -c '^\(signerd\|netd\)  *up' "$tmp/$label.status")" = 2 ]; do
		i=$((i + 1))
		if [ $i -ge 50 ] || ! kill -0 "$vpid" 2>/dev/null; then
			no "$label: vaultctl status shows signerd and netd up"
			sed 's/^/  /' "$tmp/$label.log" "$tmp/$label.status"
			kill "$vpid" 2>/dev/null; wait "$vpid" 2>/dev/null
			vpid=
			return
		fi
		sleep 0.1
	done
	ok "$label: vaultctl status shows signerd and netd up"
	check "$label: vaultd runs $lx/signerd" child_running "$vpid" "$lx/signerd"
	check "$label: vaultd runs $lx/netd" child_running "$vpid" "$lx/netd"
	if [ "$(id -u)" -eq 0 ]; then
		check "$label: signerd is chrooted, in its own namespaces" \
		    grep -q "^signerd .*chroot netns mntns" "$tmp/$label.status"
	fi
	printf 'correct horse battery staple\n' >"$tmp/pass"
	chmod 0600 "$tmp/pass"
	check "$label: vaultctl init" sh -c "CLOBVAULT_HOME='$home' '$vc' init \
	    --kdf interactive --passphrase-file '$tmp/pass' >/dev/null"
	check "$label: the vault is unlocked" sh -c "CLOBVAULT_HOME='$home' \
	    '$vc' status | grep -q '^vault unlocked'"
	kill "$vpid"
	wait "$vpid"
	check "$label: vaultd stops on SIGTERM, exit 0" [ $? -eq 0 ]
	vpid=
}

# --- the man pages
if have mandoc; then
	for m in doc/*.[1-8]; do
		out=$(mandoc -T lint -W warning "$m" 2>&1)
		check "mandoc -T lint $m" [ -z "$out" ]
		[ -z "$out" ] || echo "$out" | sed 's/^/  /'
	done
elif have groff; then
	for m in doc/*.[1-8]; do
		out=$(groff -mandoc -ww -z "$m" 2>&1)
		check "groff -ww $m" [ -z "$out" ]
		[ -z "$out" ] || echo "$out" | sed 's/^/  /'
	done
	skipped "mandoc -T lint: no mandoc (scripts/install-deps installs it)"
else
	skipped "man pages: neither mandoc nor groff"
fi

# --- make install into a DESTDIR, with the default PREFIX (/usr/local),
# which is what $B was built for: nothing is rebuilt.
inst=$tmp/inst
if make -s install BUILD="$B" DESTDIR="$inst" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR"
else
	no "make install DESTDIR"; sed 's/^/  /' "$tmp/install.log"
fi
p=$inst/usr/local
check "install: sbin/vaultd 0755" has_mode 755 "$(id -un)" "$p/sbin/vaultd"
check "install: bin/vaultctl 0755" has_mode 755 "$(id -un)" "$p/bin/vaultctl"
# the children run but not read by another user: not dumpable at execve
check "install: libexec/clobvault/signerd 0711" \
    has_mode 711 "$(id -un)" "$p/libexec/clobvault/signerd"
check "install: libexec/clobvault/netd 0711" \
    has_mode 711 "$(id -un)" "$p/libexec/clobvault/netd"
check "install: nothing else beside vaultd and vaultctl" \
    [ "$(ls "$p/sbin"; ls "$p/bin")" = "vaultd
vaultctl" ]
check "install: man8/vaultd.8" has_mode 644 "$(id -un)" "$p/share/man/man8/vaultd.8"
check "install: man1/vaultctl.1" has_mode 644 "$(id -un)" "$p/share/man/man1/vaultctl.1"
check "install: man5/clobvault-policy.5" \
    has_mode 644 "$(id -un)" "$p/share/man/man5/clobvault-policy.5"
check "install: /etc/clobvault/vaultd.conf.example" \
    has_mode 644 "$(id -un)" "$inst/etc/clobvault/vaultd.conf.example"
check "install: the example has comments only" \
    sh -c "! grep -v '^#' '$inst/etc/clobvault/vaultd.conf.example' | grep -q ."
unit=$p/lib/systemd/system/vaultd.service
check "install: lib/systemd/system/vaultd.service 0644" \
    has_mode 644 "$(id -un)" "$unit"
check "install: the unit runs /usr/local/sbin/vaultd -f" \
    grep -qx "ExecStart=/usr/local/sbin/vaultd -f" "$unit"
check "install: lib/systemd/system/clobvault-rotate.service 0644" \
    has_mode 644 "$(id -un)" "$p/lib/systemd/system/clobvault-rotate.service"
check "install: the rotation unit runs /usr/local/bin/vaultctl rotate --due" \
    grep -qx "ExecStart=/usr/local/bin/vaultctl rotate --due" \
    "$p/lib/systemd/system/clobvault-rotate.service"
check "install: lib/systemd/system/clobvault-rotate.timer 0644" \
    has_mode 644 "$(id -un)" "$p/lib/systemd/system/clobvault-rotate.timer"
comp=$p/share/bash-completion/completions/vaultctl
check "install: share/bash-completion/completions/vaultctl 0644" \
    has_mode 644 "$(id -un)" "$comp"

# The completion, with the installed vaultctl: what it offers after
# the words given (the last one is being completed).
completes() {	# expected words...
	want=$1; shift
	got=$(PATH="$p/bin:$PATH" bash -c '. "$1"; shift
	    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vaultctl
	    echo "${COMPREPLY[*]}"' sh "$comp" "$@" 2>&1)
	[ "$got" = "$want" ] || { echo "  vaultctl $*: \"$got\""; return 1; }
}
# The commands it offers first are those of `vaultctl help`.
every_command() {
	a=$(PATH="$p/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(vaultctl "")
	    COMP_CWORD=1; _vaultctl; printf "%s\n" "${COMPREPLY[@]}"' sh \
	    "$comp" | grep -vx help | sort)
	b=$("$p/bin/vaultctl" help |
	    sed -n 's/^  vaultctl \([a-z-]*\).*/\1/p' | sort -u)
	[ "$a" = "$b" ]
}
# Every long option vaultctl parses (its option tables in vaultctl/*.c,
# and the few it compares by hand) is in `vaultctl help`, and so offered
# by the completion, which reads them from there.
every_option() {
	h=$("$p/bin/vaultctl" help 2>&1)
	missing= n=0
	for o in $(sed -n \
	    -e 's/^[[:space:]]*{ "\([a-z][a-z0-9-]*\)",[[:space:]]*[a-z]*_argument,.*/\1/p' \
	    -e 's/.*strcmp(argv\[[a-z]*\], "--\([a-z][a-z0-9-]*\)").*/\1/p' \
	    vaultctl/*.c | sort -u); do
		n=$((n + 1))
		printf '%s\n' "$h" | grep -q -- "--$o\([^a-z0-9-]\|\$\)" ||
		    missing="$missing --$o"
	done
	[ -z "$missing" ] || echo "  not in vaultctl help:$missing"
	[ -z "$missing" ] && [ "$n" -gt 40 ]
}
check "help: every long option vaultctl parses" every_option
if have bash && [ -f "$comp" ]; then
	check "completion: bash -n" bash -n "$comp"
	check "completion: commands" completes "account" vaultctl acc
	check "completion: subcommands" \
	    completes "add list remove update" vaultctl account ""
	check "completion: options" completes "--offline" \
	    vaultctl audit verify --off
	check "completion: account add --max-key-age" \
	    completes "--max-key-age" vaultctl account add x --max
	check "completion: account update --no-max-key-age" \
	    completes "--no-max-key-age" vaultctl account update x --no-m
	check "completion: client add --passphrase-file" \
	    completes "--passphrase-file" vaultctl client add x --pass
	check "completion: account update --keyfile" \
	    completes "--keyfile" vaultctl account update x --key
	check "completion: audit show --rotation" \
	    completes "--rotation" vaultctl audit show --ro
	check "completion: option values" \
	    completes "openfish polymarket omnia" vaultctl account add x \
	    --profile ""
	check "completion: every command of vaultctl help" every_command
else
	skipped "completion: no bash"
fi

# Each program links only what it uses.
check "vaultd needs no libcurl, libsecp256k1, libmicrohttpd" \
    needs_none "$p/sbin/vaultd" libcurl libsecp256k1 libmicrohttpd libcmocka
check "signerd needs no libcurl, libmicrohttpd" \
    needs_none "$p/libexec/clobvault/signerd" libcurl libmicrohttpd libcmocka
# netd serves the gateway with libmicrohttpd (PKGS_NETD)
check "netd needs no libsecp256k1" \
    needs_none "$p/libexec/clobvault/netd" libsecp256k1 libcmocka
check "vaultctl needs no libsecp256k1, libmicrohttpd" \
    needs_none "$p/bin/vaultctl" libsecp256k1 libmicrohttpd libcmocka

# vaultd -n reads the example, and the example with every setting
# uncommented: no error in the file (the users and groups it names may
# not exist here).
ex=$inst/etc/clobvault/vaultd.conf.example
if ! "$p/sbin/vaultd" -h 2>&1 | grep -q '^ *-n '; then
	skipped "vaultd -n: this vaultd has no -n"
elif [ -f "$ex" ]; then
	check "vaultd -n -c vaultd.conf.example" sh -c "CLOBVAULT_HOME='$tmp/home-n' \
	    '$p/sbin/vaultd' -n -c '$ex' >'$tmp/n.out' 2>&1"
	sed 's/^#\([a-z]\)/\1/' "$ex" >"$tmp/uncommented.conf"
	CLOBVAULT_HOME=$tmp/home-n "$p/sbin/vaultd" -n -c "$tmp/uncommented.conf" \
	    >"$tmp/n.out" 2>&1
	check "vaultd -n: the example's settings, uncommented, parse" \
	    sh -c "! grep -q '^$tmp/uncommented.conf:' '$tmp/n.out'"
	grep "^$tmp/uncommented.conf:" "$tmp/n.out" | sed 's/^/  /'
fi

if [ -x "$p/sbin/vaultd" ]; then
	run_tree install "$p/sbin/vaultd" "$p/bin/vaultctl" \
	    "$p/libexec/clobvault"
fi

# --- the systemd unit
if have systemd-analyze; then
	# verify wants ExecStart's program to exist: the installed one.
	sed "s|^ExecStart=/usr/local/sbin/vaultd|ExecStart=$p/sbin/vaultd|" \
	    "$unit" >"$tmp/vaultd.service"
	out=$(systemd-analyze verify --man=no "$tmp/vaultd.service" 2>&1)
	check "systemd-analyze verify vaultd.service" [ -z "$out" ]
	[ -z "$out" ] || echo "$out" | sed 's/^/  /'
	sed "s|^ExecStart=/usr/local/bin/vaultctl|ExecStart=$p/bin/vaultctl|" \
	    "$p/lib/systemd/system/clobvault-rotate.service" \
	    >"$tmp/clobvault-rotate.service"
	cp "$p/lib/systemd/system/clobvault-rotate.timer" "$tmp/"
	out=$(cd "$tmp" && systemd-analyze verify --man=no \
	    clobvault-rotate.timer clobvault-rotate.service 2>&1 |
	    grep -v 'vaultd.service' || true)
	check "systemd-analyze verify clobvault-rotate.timer and .service" \
	    [ -z "$out" ]
	[ -z "$out" ] || echo "$out" | sed 's/^/  /'
	# The rotation unit only reaches vaultd's control socket: no
	# capability, no network, a read-only system (0.7 with systemd 252).
	if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
		check "systemd-analyze security clobvault-rotate.service: 2.0 at most" \
		    sh -c "systemd-analyze security --offline=true --threshold=20 \
		    '$tmp/clobvault-rotate.service' >/dev/null 2>&1"
	else
		skipped "systemd-analyze security --offline: systemd before 250"
	fi
else
	skipped "systemd-analyze verify: no systemd-analyze (package systemd)"
fi
for m in $(sed -n 's/^Documentation=//p' dist/vaultd.service); do
	f=$(echo "$m" | sed -n 's/^man:\(.*\)(\(.\))$/doc\/\1.\2/p')
	check "the unit's $m is in doc/" [ -f "${f:-/nonexistent}" ]
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' dist/vaultd.service |
    tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
if [ "$(id -u)" -ne 0 ]; then
	skipped "vaultd under the unit's capabilities: needs root"
elif ! have setpriv; then
	skipped "vaultd under the unit's capabilities: no setpriv (util-linux)"
elif [ -x "$p/sbin/vaultd" ]; then
	run_tree caps "$p/sbin/vaultd" "$p/bin/vaultctl" \
	    "$p/libexec/clobvault" \
	    setpriv --no-new-privs --bounding-set "-all,$caps"
fi

# --- the Debian package
missing=
for t in dpkg-buildpackage dh fakeroot lintian; do
	have $t || missing="$missing $t"
done
if [ -n "$missing" ]; then
	skipped "make deb: no$missing (scripts/install-deps --deb installs them)"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
fi
version=$(sed -n '1s/^clobvault (\([^)]*\)).*/\1/p' debian/changelog)
check "debian/changelog is at the version in common/version.h" \
    grep -q "define CLOBVAULT_VERSION[^\"]*\"$version\"" common/version.h
deb=$B/deb/clobvault_${version}_$(dpkg --print-architecture).deb
if make -s deb BUILD="$B" >"$tmp/deb.log" 2>&1 && [ -f "$deb" ]; then
	ok "make deb: $deb"
else
	no "make deb: $deb"; tail -30 "$tmp/deb.log" | sed 's/^/  /'
	echo "$pass passed, $fail failed, $skip skipped"
	exit 1
fi
out=$(lintian -I --tag-display-limit 0 "$B"/deb/clobvault_*.changes 2>&1 |
    grep -v "running with root privileges is not recommended")
check "lintian: nothing, or overridden with a reason" [ -z "$out" ]
[ -z "$out" ] || echo "$out" | sed 's/^/  /'

dpkg-deb -c "$deb" >"$tmp/contents"
# mode owner path, as dpkg-deb -c lists them
entry() { grep -q "^$1 $2 .* \./$3\$" "$tmp/contents"; }
check "deb: usr/sbin/vaultd" entry -rwxr-xr-x root/root usr/sbin/vaultd
check "deb: usr/bin/vaultctl" entry -rwxr-xr-x root/root usr/bin/vaultctl
check "deb: usr/lib/clobvault/signerd 0711" \
    entry -rwx--x--x root/root usr/lib/clobvault/signerd
check "deb: usr/lib/clobvault/netd 0711" \
    entry -rwx--x--x root/root usr/lib/clobvault/netd
check "deb: the unit" entry -rw-r--r-- root/root lib/systemd/system/vaultd.service
check "deb: the rotation timer" \
    entry -rw-r--r-- root/root lib/systemd/system/clobvault-rotate.timer
check "deb: the rotation unit" \
    entry -rw-r--r-- root/root lib/systemd/system/clobvault-rotate.service
check "deb: the configuration example" \
    entry -rw-r--r-- root/root etc/clobvault/vaultd.conf.example
check "deb: vaultd.8" entry -rw-r--r-- root/root usr/share/man/man8/vaultd.8.gz
check "deb: vaultctl.1" entry -rw-r--r-- root/root usr/share/man/man1/vaultctl.1.gz
check "deb: clobvault-policy.5" \
    entry -rw-r--r-- root/root usr/share/man/man5/clobvault-policy.5.gz
check "deb: copyright" entry -rw-r--r-- root/root usr/share/doc/clobvault/copyright
check "deb: bash completion" entry -rw-r--r-- root/root \
    usr/share/bash-completion/completions/vaultctl
check "deb: nothing from the tests" sh -c "! grep -q 'testexchange\|hostile\|/tests/' '$tmp/contents'"
check "deb: depends on adduser" sh -c "dpkg-deb -f '$deb' Depends | grep -q adduser"
dpkg-deb -e "$deb" "$tmp/control"
check "deb: postinst creates the user clobvault" \
    grep -q "adduser --system.*" "$tmp/control/postinst"
check "deb: postinst creates /var/lib/clobvault 0700" \
    grep -q "install -d -m 0700 .*/var/lib/clobvault" "$tmp/control/postinst"
check "deb: the example is a conffile" \
    grep -qx "/etc/clobvault/vaultd.conf.example" "$tmp/control/conffiles"
# The units across a first install, an upgrade, a downgrade and a
# removal: the maintainer scripts (debhelper's lines, debian/rules,
# debian/preinst, debian/postinst, debian/prerm and debian/postrm) run
# with stand-ins that log each call to systemctl and its helpers, and to
# the tools the postinst makes its user and directory with, as under a
# running systemd where the units listed in $stub/state run (a stop
# takes them out, a start puts them in but for those in $deny, which
# policy-rc.d refuses or which are not enabled).  A first install starts
# and enables nothing; an upgrade or a downgrade stops vaultd and the
# timer before dpkg replaces the binaries (vaultd would start the new
# signerd or netd), whichever side's scripts do it, then reloads systemd
# and starts again what ran, and an abandoned one starts it again from
# the postrm or the old version's postinst; a removal stops the units.
stub=$tmp/stub
mkdir -p "$stub/bin" "$stub/run-systemd"
for t in adduser getent install; do
	printf '#!/bin/sh\necho "%s $*" >>"$STUB_LOG"\n' "$t" >"$stub/bin/$t"
done
cat >"$stub/bin/deb-systemd-invoke" <<'EOS'
#!/bin/sh
echo "deb-systemd-invoke $*" >>"$STUB_LOG"
a=$1; shift
for u; do
	case $a in
	stop)	grep -vx "$u" "$STUB_STATE" >"$STUB_STATE.new"
		mv "$STUB_STATE.new" "$STUB_STATE";;
	start)	case " $STUB_DENY " in *" $u "*) ;; *) echo "$u" >>"$STUB_STATE";;
		esac;;
	esac
done
EOS
# systemctl: is-active succeeds for the units in $STUB_STATE
cat >"$stub/bin/systemctl" <<'EOS'
#!/bin/sh
echo "systemctl $*" >>"$STUB_LOG"
case "$*" in *is-active*) grep -qx "$3" "$STUB_STATE" && exit 0; exit 3;; esac
EOS
# nothing was installed or enabled before this package
printf '#!/bin/sh\necho "deb-systemd-helper $*" >>"$STUB_LOG"\ncase $1 in\n%s\nesac\n' \
    'debian-installed|was-enabled|--quiet) exit 1;;' \
    >"$stub/bin/deb-systemd-helper"
chmod 0755 "$stub/bin"/*
deny=
running() {	# unit...: what runs now
	: >"$stub/state"
	for u; do echo "$u" >>"$stub/state"; done
}
maint() {	# script argument...: the calls it made; its stderr in $stub/err
	[ -f "$tmp/control/$1" ] || return 0
	sed -e "s|/run/systemd/system|$stub/run-systemd|g" \
	    -e "s|/run/clobvault-upgrade|$stub/upgrade-mark|g" \
	    "$tmp/control/$1" >"$stub/$1"
	: >"$stub/log"
	ms=$1; shift
	STUB_STATE=$stub/state STUB_DENY=$deny STUB_LOG=$stub/log \
	    PATH="$stub/bin:$PATH" sh "$stub/$ms" "$@" >/dev/null \
	    2>"$stub/err" || echo "$ms $*: exit $?" >>"$stub/log"
	cat "$stub/log"
}
# an upgrade from 0.0.9 with the units given running
upgrade() {	# label unit...
	l=$1; shift
	rm -f "$stub/upgrade-mark"
	running "$@"
	{ maint prerm upgrade 0.1.0; maint preinst upgrade 0.0.9; } \
	    >"$tmp/before-$l.calls"
	cp "$stub/state" "$tmp/unpack-$l.state"
	maint postinst configure 0.0.9 >"$tmp/$l.calls"
}
# the units the calls start after the last daemon-reload, one a line
started() {	# calls-file
	sed -n '/^systemctl --system daemon-reload$/,$p' "$1" |
	    sed -n 's/^deb-systemd-invoke start //p'
}
stops_all="deb-systemd-invoke stop clobvault-rotate.timer \
clobvault-rotate.service vaultd.service"
running
maint postinst configure >"$tmp/install.calls"
check "deb: a first install starts and enables no unit" sh -c "grep -q \
    'update-state vaultd.service' '$tmp/install.calls' && ! grep \
    'start\|enable\|exit ' '$tmp/install.calls'"
upgrade upgrade vaultd.service clobvault-rotate.timer
check "deb: an upgrade stops the timer, a rotation and vaultd before the unpack" \
    sh -c "grep -qx '$stops_all' '$tmp/before-upgrade.calls' &&
    ! grep -q 'exit ' '$tmp/before-upgrade.calls'"
check "deb: nothing runs while an upgrade unpacks" [ ! -s "$tmp/unpack-upgrade.state" ]
check "deb: an upgrade reloads, then starts vaultd and the timer again" \
    [ "$(started "$tmp/upgrade.calls")" = "vaultd.service
clobvault-rotate.timer" ]
check "deb: an upgrade leaves no note in /run" [ ! -e "$stub/upgrade-mark" ]
upgrade upgrade-vaultd vaultd.service
check "deb: an upgrade starts vaultd again, and not the timer that was stopped" \
    [ "$(started "$tmp/upgrade-vaultd.calls")" = vaultd.service ]
upgrade upgrade-stopped
check "deb: an upgrade starts nothing that was stopped" sh -c \
    "! grep -q ' start\|exit ' '$tmp/upgrade-stopped.calls'"
# from a version whose prerm stops nothing: this preinst stops them
rm -f "$stub/upgrade-mark"
running vaultd.service clobvault-rotate.timer
maint preinst upgrade 0.0.9 >"$tmp/before-old-prerm.calls"
cp "$stub/state" "$tmp/unpack-old-prerm.state"
maint postinst configure 0.0.9 >"$tmp/old-prerm.calls"
check "deb: an upgrade from a prerm that stops nothing stops vaultd and the timer" \
    sh -c "grep -qx '$stops_all' '$tmp/before-old-prerm.calls' &&
    [ ! -s '$tmp/unpack-old-prerm.state' ]"
check "deb: ... and starts them again" \
    [ "$(started "$tmp/old-prerm.calls")" = "vaultd.service
clobvault-rotate.timer" ]
# a note left by an earlier run that did not finish, nothing running
echo " vaultd.service clobvault-rotate.timer" >"$stub/upgrade-mark"
running
maint prerm upgrade 0.1.0 >/dev/null
maint preinst upgrade 0.0.9 >/dev/null
maint postinst configure 0.0.9 >"$tmp/stale.calls"
check "deb: an upgrade drops a note it did not make, and starts nothing" \
    sh -c "! grep -q ' start\|exit ' '$tmp/stale.calls' &&
    [ ! -e '$stub/upgrade-mark' ]"
# a downgrade to a version whose preinst stops nothing: only this
# version's prerm runs before the older files are unpacked
rm -f "$stub/upgrade-mark"
running vaultd.service clobvault-rotate.timer
maint prerm upgrade 0.0.9 >"$tmp/downgrade.calls"
check "deb: a downgrade stops the timer, a rotation and vaultd before the unpack" \
    sh -c "grep -qx '$stops_all' '$tmp/downgrade.calls' &&
    ! grep -q 'exit ' '$tmp/downgrade.calls' && [ ! -s '$stub/state' ]"
check "deb: a downgrade notes what ran, for the older postinst" \
    [ "$(cat "$stub/upgrade-mark" 2>/dev/null)" = \
    " vaultd.service clobvault-rotate.timer" ]
# abandoned (the older preinst or the unpack failed): this version's
# postinst abort-upgrade, its files back, after the older postrm's
maint postinst abort-upgrade 0.0.9 >"$tmp/downgrade-abort.calls"
check "deb: an abandoned downgrade starts vaultd and the timer again" sh -c \
    "[ \"\$(sed -n 's/^deb-systemd-invoke start //p' \
    '$tmp/downgrade-abort.calls')\" = 'vaultd.service
clobvault-rotate.timer' ] && [ ! -e '$stub/upgrade-mark' ]"
rm -f "$stub/upgrade-mark"
running vaultd.service
maint preinst upgrade 0.0.9 >/dev/null
maint postrm abort-upgrade 0.0.9 >"$tmp/abort.calls"
check "deb: an abandoned upgrade starts vaultd again" sh -c \
    "grep -qx 'deb-systemd-invoke start vaultd.service' '$tmp/abort.calls' &&
    [ ! -e '$stub/upgrade-mark' ]"
# policy-rc.d refuses the start, or vaultd is not enabled: the
# postinst names what no longer runs
deny=vaultd.service
upgrade upgrade-denied vaultd.service clobvault-rotate.timer
deny=
check "deb: an upgrade names a unit it could not start again" sh -c \
    "[ \"\$(cat '$stub/err')\" = 'clobvault: vaultd.service ran before the \
upgrade and does not now: systemctl start vaultd.service' ] &&
    ! grep -q 'exit ' '$tmp/upgrade-denied.calls'"
# no systemd running (a chroot, a container, an image being built)
mv "$stub/run-systemd" "$stub/no-systemd"
upgrade upgrade-nosystemd vaultd.service
mv "$stub/no-systemd" "$stub/run-systemd"
check "deb: without systemd an upgrade asks nothing of it" sh -c \
    "! grep -q '^systemctl\|^deb-systemd-invoke\|exit ' \
    '$tmp/before-upgrade-nosystemd.calls' '$tmp/upgrade-nosystemd.calls' &&
    [ ! -e '$stub/upgrade-mark' ]"
running
maint prerm remove >"$tmp/remove.calls"
check "deb: a removal stops vaultd.service" grep -qx "$stops_all" \
    "$tmp/remove.calls"
pkg=$tmp/pkg
dpkg-deb -x "$deb" "$pkg"
check "deb: the unit runs /usr/sbin/vaultd -f" \
    grep -qx "ExecStart=/usr/sbin/vaultd -f" "$pkg/lib/systemd/system/vaultd.service"
run_tree deb "$pkg/usr/sbin/vaultd" "$pkg/usr/bin/vaultctl" \
    "$pkg/usr/lib/clobvault"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
