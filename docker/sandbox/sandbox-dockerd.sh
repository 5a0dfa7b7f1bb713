#!/bin/sh
# Starts the sandbox's engine. Its API is a unix socket in /run/sandbox, a folder of the host
# that only the person can open: never a TCP port, which every container on the network could reach.
# SANDBOX_MIRROR names the local registry that stands in for Docker Hub.
set -e
rm -f /run/sandbox/docker.sock /var/run/docker.pid
exec dockerd \
    --host unix:///run/sandbox/docker.sock \
    --cgroup-parent "/${SANDBOX_NAME:-jdx-sandbox}" \
    ${SANDBOX_MIRROR:+--registry-mirror "$SANDBOX_MIRROR"} \
    "$@"
