#!/bin/sh
# mmdebstrap's customize hook for the offline base image (run on the host, as root):
#   customize.sh ROOT WHEELS RECIPE
# ROOT is the new root filesystem, RECIPE docker/base, WHEELS the folder where the xtask puts
# exactly the locked wheels: it downloads them while mmdebstrap installs Debian's packages, then
# writes WHEELS/ready (or WHEELS/failed). The hook writes its start and end times to WHEELS/times. It keeps the docker-stacks contract of quay.io/jupyter/minimal-notebook: jovyan
# 1000:100 with a group-writable home, a group-writable Python environment at /opt/conda owned by
# jovyan (GDAL's bindings from Debian's python3-gdal seen through --system-site-packages), the start
# scripts, the server's config and healthcheck. Nothing is fetched: pip installs only the wheels
# given, each checked against its hash in requirements.lock. The image's config (user, env,
# entrypoint, healthcheck) is in image-config, applied by `docker import --change`.
set -eu
root=$1 wheels=$2 recipe=$3
in_root() { chroot "$root" "$@"; }

waited=0
until [ -e "$wheels/ready" ]; do
    if [ -e "$wheels/failed" ] || [ "$waited" -gt 6000 ]; then
        echo "customize.sh: the wheels did not come (the download failed or took over 10 minutes)" >&2
        exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
done
date +%s.%N > "$wheels/times"

mkdir -p "$root/tmp/wheels"
cp "$wheels"/*.whl "$root/tmp/wheels/"
cp "$recipe/requirements.lock" "$root/tmp/requirements.lock"
in_root python3 -m venv --system-site-packages /opt/conda
in_root env PIP_NO_INDEX=1 /opt/conda/bin/pip install --quiet --no-cache-dir --disable-pip-version-check \
    --no-index --find-links /tmp/wheels --require-hashes --no-deps --no-compile -r /tmp/requirements.lock
# The libraries' own test suites are no part of the notebook image's contract, and a tenth of its
# files: every layer the classic builder commits on a naive-diff storage driver (fuse-overlayfs)
# walks all of them, so each build step on this image is that much faster without them.
# jupyterlab's stay: its `browser_check` tool imports them.
find "$root/opt/conda/lib" -type d -name tests -path '*/site-packages/*' ! -path '*/site-packages/jupyterlab/*' -prune -exec rm -rf {} + 2>/dev/null || true
# One parallel pass instead of pip's file-by-file compile. checked-hash: mmdebstrap's tarball clamps
# the mtimes of files made in this hook to its start, so pycs stamped with the mtime would all be
# stale and compiled again at every start. Some packages ship templates named .py that are not
# Python (pip skips them too), so a failure to compile one file is not fatal.
in_root /opt/conda/bin/python -m compileall -q -f -j 0 --invalidation-mode checked-hash /opt/conda/lib >/dev/null || true

in_root useradd --no-log-init --create-home --shell /bin/bash --uid 1000 --gid 100 --no-user-group jovyan
mkdir -p "$root/home/jovyan/work"
for dir in /home/jovyan /opt/conda; do
    chown -R 1000:100 "$root$dir"
    chmod -R g+rwX "$root$dir"
    find "$root$dir" -type d -exec chmod g+s {} +
done

install -m 755 "$recipe/start.sh" "$recipe/start-notebook.sh" "$recipe/start-notebook.py" "$root/usr/local/bin/"
mkdir -p "$root/etc/jupyter"
install -m 644 "$recipe/jupyter_server_config.py" "$root/etc/jupyter/"
install -m 755 "$recipe/docker_healthcheck.py" "$root/etc/jupyter/"

rm -rf "$root/tmp/wheels" "$root/tmp/requirements.lock" "$root/root/.cache" "$root/var/cache/apt"/*.bin
date +%s.%N >> "$wheels/times"
