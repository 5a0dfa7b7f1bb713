#!/bin/sh
# Starts the sandbox's engine. Its API is a unix socket in /run/sandbox, a folder of the host
# that only the person can open: never a TCP port, which every container on the network could reach.
# SANDBOX_MIRROR names the local registry that stands in for Docker Hub.
#
# With SANDBOX_SSH set, the sandbox stands in for a remote Docker host: sshd is the container's
# main process (so the engine can be stopped and started again behind it, `sandbox-dockerd
# engine`), root logs in with the key in /run/remote-ssh/authorized_keys only, the host key is the
# one made for this run, and the engine also listens on its default socket, where the docker CLI's
# `ssh ... docker system dial-stdio` reaches it.
set -e
engine() {
    rm -f /run/sandbox/docker.sock /var/run/docker.sock /var/run/docker.pid
    exec dockerd \
        --host unix:///run/sandbox/docker.sock \
        ${SANDBOX_SSH:+--host unix:///var/run/docker.sock} \
        --cgroup-parent "/${SANDBOX_NAME:-jdx-sandbox}" \
        ${SANDBOX_MIRROR:+--registry-mirror "$SANDBOX_MIRROR"} \
        "$@"
}
if [ "$1" = engine ]; then
    shift
    engine "$@"
fi
[ -n "$SANDBOX_SSH" ] || engine "$@"

install -d -m 755 /run/sshd
install -d -m 700 /root/.ssh
install -m 600 /run/remote-ssh/authorized_keys /root/.ssh/authorized_keys
install -m 600 /run/remote-ssh/host_key /etc/ssh/remote_host_key
cat > /etc/ssh/remote_sshd_config <<'CONFIG'
HostKey /etc/ssh/remote_host_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding local
X11Forwarding no
PermitTunnel no
PidFile /run/sshd.pid
CONFIG
(engine "$@") &
exec /usr/sbin/sshd -D -e -f /etc/ssh/remote_sshd_config
