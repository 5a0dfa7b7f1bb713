#!/bin/bash
# Entry script of the offline base image, modelled on docker-stacks' start.sh:
# as root it applies NB_UID/NB_GID/CHOWN_EXTRA and drops to the notebook user;
# as any other user it warns about what it cannot change. Logs go to stderr.
set -e
log() { echo "$(date '+%Y-%m-%d %H:%M:%S') $*" >&2; }

log "Entered start.sh with args: $*"
[ $# -gt 0 ] || set -- start-notebook.py

if [ "$(id -u)" = 0 ]; then
    if [ "${NB_GID}" != "$(id -g "${NB_USER}")" ]; then
        groupadd --force --gid "${NB_GID}" --non-unique "${NB_USER}"
        usermod --gid "${NB_GID}" --append --groups users "${NB_USER}"
    fi
    if [ "${NB_UID}" != "$(id -u "${NB_USER}")" ]; then
        usermod --non-unique --uid "${NB_UID}" "${NB_USER}"
    fi
    if [ -n "${CHOWN_EXTRA}" ]; then
        for path in ${CHOWN_EXTRA//,/ }; do
            log "Changing ownership of ${path} to ${NB_UID}:${NB_GID}"
            chown ${CHOWN_EXTRA_OPTS} "${NB_UID}:${NB_GID}" "${path}"
        done
    fi
    log "Running as ${NB_USER}: $*"
    log "Executing the command: $*"
    exec setpriv --reuid="${NB_UID}" --regid="${NB_GID}" --init-groups \
        env HOME="/home/${NB_USER}" USER="${NB_USER}" "$@"
fi

if [ "${NB_UID}" != "$(id -u "${NB_USER}")" ] || [ "${NB_GID}" != "$(id -g "${NB_USER}")" ]; then
    log "WARNING: container must be started as root to change the desired user's id with NB_UID=\"${NB_UID}\" and/or group id with NB_GID=\"${NB_GID}\"!"
fi
if [ ! -w "/home/${NB_USER}" ]; then
    log "WARNING: no write access to /home/${NB_USER}. Try starting the container with group 'users' (100), e.g. using \"--group-add=users\"."
fi
log "Executing the command: $*"
exec "$@"
