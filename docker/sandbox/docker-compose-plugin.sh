#!/bin/sh
# Stand-in for the `docker compose` v2 plugin inside the sandbox: Debian bookworm packages only
# Compose v1, so `docker compose ARGS` is handed over to `docker-compose ARGS` (v1 names
# containers `project_service_1` where v2 writes `project-service-1`; reports say so).
if [ "$1" = docker-cli-plugin-metadata ]; then
    echo '{"SchemaVersion":"0.1.0","Vendor":"jupyter-docker-xtask","Version":"v1-handover","ShortDescription":"docker-compose v1, handed over (stand-in)"}'
    exit 0
fi
[ "$1" = compose ] && shift
exec docker-compose "$@"
