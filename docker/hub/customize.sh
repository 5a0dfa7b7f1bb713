#!/bin/sh
# mmdebstrap's customize hook for the offline hub image (run on the host, as root):
#   customize.sh ROOT WHEELS RECIPE
# ROOT is the new root filesystem (bookworm's jupyterhub 3.0, configurable-http-proxy and the
# Python libraries the wheels need, from Debian), WHEELS the folder holding exactly the wheels of
# RECIPE/requirements.lock, downloaded on the host and checked against their hashes there. They are
# pure Python: each is unpacked into the system's site-packages (what pip does for such a wheel);
# nothing is fetched. The image's config is in image-config, applied by `docker import --change`.
set -eu
root=$1 wheels=$2 recipe=$3
site=/usr/local/lib/python3.11/dist-packages
mkdir -p "$root$site" "$root/tmp/wheels"
cp "$wheels"/*.whl "$root/tmp/wheels/"
for wheel in "$root"/tmp/wheels/*.whl; do
    chroot "$root" python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
        "/tmp/wheels/$(basename "$wheel")" "$site"
done
chroot "$root" python3 -m compileall -q "$site" >/dev/null || true
# The hub's config (jupyterhub_config.py, add_user.py) is mounted read-only at /etc/jupyterhub
# from docker/hub when the container starts: editing it needs no new image.
mkdir -p "$root/etc/jupyterhub" "$root/srv/jupyterhub/data"
rm -rf "$root/tmp/wheels" "$root/var/cache/apt"/*.bin "$root/root/.cache"
