#!/usr/bin/env bash
# Run a command with networking disabled and prove it opened no internet connection.
#
#   packaging/offline_check.sh                              # the bundle's self-test
#   packaging/offline_check.sh .venv/bin/scoliscreen analyze --no-record
#
# The command runs in a fresh network namespace (`unshare -n`: no interface but a down
# loopback) under `strace -f`, which logs every network system call of every thread and child.
# Fails (exit 1) when the command fails, or when any process tried connect/sendto/sendmsg to an
# AF_INET/AF_INET6 address. Unix sockets (X11, D-Bus) are allowed. Needs root (or user
# namespaces) and strace: apt-get install -y strace.
set -uo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || set -- dist/scoliscreen/scoliscreen self-test
mkdir -p build
log="build/offline_strace.log"
unshare -n strace -f -qq -e trace=network -e signal=none -o "$log" "$@"
rc=$?
inet_socks=$(grep -cE 'socket\(AF_INET6?,' "$log" || true)
attempts=$(grep -E '(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?' "$log" || true)
echo "== offline check: exit status $rc; $(grep -c '' "$log") network system calls logged in $log"
echo "   internet sockets created: $inet_socks; connect/sendto/sendmsg to internet addresses: $(grep -c . <<<"$attempts" || true)"
if [[ -n "$attempts" ]]; then
    echo "$attempts" | sed 's/^/   /' | head -20
    echo "offline check: FAIL (the command tried to reach the network)"
    exit 1
fi
if [[ $rc -ne 0 ]]; then
    echo "offline check: FAIL (the command exited $rc with the network off)"
    exit 1
fi
echo "offline check: PASS (ran with the network off and opened no internet connection)"
