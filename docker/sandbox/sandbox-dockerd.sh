#!/bin/sh
# Starts the sandbox's engine: rootless, as the unprivileged user `reader`, so nothing a replayed
# tutorial runs (its shell is `reader` too, with no capability and no_new_privs) is root outside
# the user namespace of that engine.
#
# - Its data: /run/cache (the warm cache of the images the articles pull, this slot's volume) is
#   read-only; the engine's data is a copy of it in /run/scratch (this run's own volume), so a
#   run cannot change what the next one starts from. With SANDBOX_CACHE=write (the warm-up, which
#   runs no tutorial) the cache itself is the data.
# - Its API: the engine's socket belongs to `reader`; the host reaches it through a proxy run by
#   root at /run/sandbox/docker.sock, in a folder of the host that `reader` cannot write, so a
#   tutorial cannot replace what the host connects to. Never a TCP port.
# - SANDBOX_MIRROR names the local registry that stands in for Docker Hub.
#
# With SANDBOX_SSH set, the sandbox stands in for a remote Docker host: sshd is the container's
# main process (so the engine can be stopped and started again behind it: `sandbox-dockerd
# stop-engine`, `sandbox-dockerd engine`), root logs in with the key in
# /run/remote-ssh/authorized_keys only, and the docker CLI's `ssh ... docker system dial-stdio`
# reaches the engine at the default socket.
set -e
RUNTIME=/run/user/1000

# overlay2 where the kernel lets an unprivileged user namespace mount overlay (Linux 5.11 and
# later), tried on the engine's own data folder; else fuse-overlayfs, twice as slow to commit.
storage_driver() {
    probe=$(mktemp -d "$1/.driver-probe.XXXXXX")
    mkdir "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
    chown -R reader:reader "$probe"
    if setpriv --reuid=reader --regid=reader --init-groups unshare --user --map-root-user --mount \
        mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
        "$probe/merged" 2>/dev/null; then
        echo overlay2
    else
        echo fuse-overlayfs
    fi
    rm -rf "$probe"
}

data() {
    chmod 666 /dev/net/tun /dev/fuse
    mkdir -p /var/lib/inner
    if [ "$SANDBOX_CACHE" = write ]; then
        mount --bind /run/cache /var/lib/inner
    else
        # A copy, made once per run (a restart keeps the run's state): overlay2 cannot keep its
        # layers on an overlay mount.
        if [ ! -d /run/scratch/inner ]; then
            rm -rf /run/scratch/inner.part
            cp -a /run/cache/. /run/scratch/inner.part
            mv /run/scratch/inner.part /run/scratch/inner
        fi
        mount --bind /run/scratch/inner /var/lib/inner
    fi
    DRIVER=$(storage_driver /var/lib/inner)
    if [ "$SANDBOX_CACHE" = write ]; then
        # What an engine of another storage driver left there is no image of this one.
        for other in overlay2 fuse-overlayfs; do
            [ "$other" = "$DRIVER" ] || rm -rf "/run/cache/$other" "/run/cache/image/$other"
        done
    fi
    echo "$DRIVER" > /run/storage-driver
    chown reader:reader /var/lib/inner
    install -d -o reader -g reader -m 700 "$RUNTIME"
    ln -sf "$RUNTIME/docker.sock" /var/run/docker.sock
    rm -f /run/sandbox/docker.sock
    # The host's door: root's proxy, the socket only root may open.
    # It connects as `reader` (su=), so a link `reader` puts in the engine's folder leads nowhere root could go.
    # -t: a stream closed one way (an attached `docker run` with no input) stays open the other.
    socat -t 2147483647 "UNIX-LISTEN:/run/sandbox/docker.sock,fork,mode=600,su=reader" "UNIX-CONNECT:$RUNTIME/docker.sock" &
}

engine() {
    # What an earlier engine left in its runtime folder goes: after a restart of the container, PIDs
    # start over, so a stale containerd.pid can name a live process, and dockerd would then wait on
    # a containerd socket no one serves ("failed to connect to .../containerd.sock").
    rm -rf "$RUNTIME/docker.pid" "$RUNTIME/docker.sock" "$RUNTIME/docker" "$RUNTIME/dockerd-rootless"
    setpriv --reuid=reader --regid=reader --init-groups env -i \
        HOME=/root XDG_RUNTIME_DIR="$RUNTIME" PATH=/usr/share/docker.io/contrib:/usr/sbin:/usr/bin:/sbin:/bin \
        dockerd-rootless.sh --data-root /var/lib/inner --storage-driver "$(cat /run/storage-driver)" \
        ${SANDBOX_MIRROR:+--registry-mirror "$SANDBOX_MIRROR"} "$@" &
    echo $! > /run/engine.pid
}

case "$1" in
engine)
    shift
    engine "$@"
    exit 0
    ;;
stop-engine)
    kill "$(cat /run/engine.pid)"
    while [ -S "$RUNTIME/docker.sock" ] && kill -0 "$(cat /run/engine.pid)" 2>/dev/null; do sleep 0.1; done
    exit 0
    ;;
esac

data
engine "$@"
if [ -z "$SANDBOX_SSH" ]; then
    # The sandbox lives as long as its engine.
    wait "$(cat /run/engine.pid)"
    exit $?
fi

install -d -m 755 /run/sshd
install -m 600 /run/remote-ssh/authorized_keys /etc/ssh/remote_authorized_keys
install -m 600 /run/remote-ssh/host_key /etc/ssh/remote_host_key
cat > /etc/ssh/remote_sshd_config <<'CONFIG'
HostKey /etc/ssh/remote_host_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile /etc/ssh/remote_authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
X11Forwarding no
PermitTunnel no
StrictModes no
PidFile /run/sshd.pid
CONFIG
exec /usr/sbin/sshd -D -e -f /etc/ssh/remote_sshd_config
