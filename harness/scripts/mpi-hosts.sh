#!/bin/sh
# mpi-hosts.sh: an MPI job across several "machines" made on this one, as network namespaces.
#
#   mpi-hosts.sh check                          can hosts be made here? 0, or 1 and why
#   mpi-hosts.sh run HOSTS SLOTS MPIRUN-ARGS... makes HOSTS hosts, runs mpirun on the first with
#                                               SLOTS ranks on each, removes the hosts again
#   mpi-hosts.sh agent HOST COMMAND...          (for mpirun) runs COMMAND on HOST, as ssh would
#
# Each host is a network namespace of its own (conclab-h1, -h2...) with one address
# (10.77.0.1, .2...) on a veth pair into a bridge that lives in one more namespace
# (conclab-sw): nothing of the machine's own network is touched, and the ranks can reach
# nothing but each other. Each host also gets a hostname of its own (a UTS namespace), as real
# machines have. mpirun starts Open MPI's daemon on the other hosts through `agent`, which
# stands in for ssh: the same binary is on every host, since they share one filesystem. The
# ranks talk over TCP only (shared memory would cross the hosts' walls without a word), on the
# hosts' addresses only.
#
# Needs root (namespaces, and Open MPI's consent to run as root) and iproute2's `ip`; `check`
# says what is missing. Only addresses inside the namespaces are ever used.
set -u
P=conclab-h
SW=conclab-sw
NET=10.77.0
me=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

why_not() {
	[ "$(id -u)" -eq 0 ] || { echo "not root: network namespaces need root"; return 0; }
	command -v ip >/dev/null 2>&1 || { echo "no ip command (apt-get install iproute2)"; return 0; }
	command -v unshare >/dev/null 2>&1 || { echo "no unshare command (util-linux)"; return 0; }
	command -v mpirun >/dev/null 2>&1 || { echo "no mpirun (make deps installs Open MPI)"; return 0; }
	if ! ip netns add "${P}-probe" 2>/dev/null; then
		echo "this machine does not allow network namespaces (ip netns add failed)"
		return 0
	fi
	ip netns del "${P}-probe"
	return 1
}

down() {
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $ns in "$P"[0-9]* | "$SW") ip netns del "$ns" ;; esac
	done
}

up() {
	down
	ip netns add "$SW" && ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up ||
		return 1
	i=1
	while [ "$i" -le "$1" ]; do
		ip netns add "$P$i" &&
			ip link add "c$$-$i" type veth peer name "s$$-$i" &&
			ip link set "c$$-$i" netns "$P$i" && ip link set "s$$-$i" netns "$SW" &&
			ip -n "$P$i" link set "c$$-$i" name eth0 &&
			ip -n "$P$i" addr add "$NET.$i/24" dev eth0 &&
			ip -n "$P$i" link set eth0 up && ip -n "$P$i" link set lo up &&
			ip -n "$SW" link set "s$$-$i" master br0 up || return 1
		i=$((i + 1))
	done
}

case ${1:-} in
check)
	reason=$(why_not) || exit 0
	echo "$reason"
	exit 1
	;;
agent)
	# mpirun calls this as it would call ssh: HOST, then a command line for the remote shell.
	host=$2
	shift 2
	i=${host##*.}
	exec ip netns exec "$P$i" unshare --uts sh -c "hostname h$i && $*"
	;;
run)
	hosts=$2 slots=$3
	shift 3
	reason=$(why_not) && { echo "mpi-hosts: cannot make hosts here: $reason" >&2; exit 77; }
	trap down EXIT INT TERM
	up "$hosts" || { echo "mpi-hosts: could not make the hosts" >&2; exit 1; }
	hostfile=$(mktemp) || exit 1
	i=1
	while [ "$i" -le "$hosts" ]; do
		echo "$NET.$i slots=$slots" >>"$hostfile"
		i=$((i + 1))
	done
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	ip netns exec "${P}1" unshare --uts sh -c 'hostname h1 && exec "$@"' sh \
		mpirun --hostfile "$hostfile" -np $((hosts * slots)) --bind-to none \
		--mca plm_rsh_agent "$me agent" \
		--mca btl tcp,self --mca btl_tcp_if_include "$NET.0/24" \
		--mca oob_tcp_if_include "$NET.0/24" --mca mpi_yield_when_idle 1 "$@"
	status=$?
	rm -f "$hostfile"
	exit $status
	;;
*)
	echo "usage: $0 check | run HOSTS SLOTS MPIRUN-ARGS... | agent HOST COMMAND..." >&2
	exit 2
	;;
esac
