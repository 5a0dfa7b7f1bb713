#!/bin/sh
# Stand-in for the `docker compose` v2 plugin inside the sandbox: Debian bookworm packages only
# Compose v1, so `docker compose ARGS` is handed over to `docker-compose ARGS` (v1 names
# containers `project_service_1` where v2 writes `project-service-1`; reports say so).
# The images it builds keep v2's contract: v1 tags them PROJECT_SERVICE, v2 PROJECT-SERVICE, which
# is what later steps name (`docker tag jupyter-jupyter ...`), so the v2 name is added.
if [ "$1" = docker-cli-plugin-metadata ]; then
    echo '{"SchemaVersion":"0.1.0","Vendor":"jupyter-docker-xtask","Version":"v1-handover","ShortDescription":"docker-compose v1, handed over (stand-in)"}'
    exit 0
fi
[ "$1" = compose ] && shift
# Ctrl+C is for Compose (it stops the services); this shell waits for it, then adds the names.
trap 'true' INT
docker-compose "$@"
rc=$?

# The project's name as v1 makes it: -p, COMPOSE_PROJECT_NAME, else the compose file's folder.
project="${COMPOSE_PROJECT_NAME:-}"
dir=""
sub=""
while [ $# -gt 0 ]; do
    case "$1" in
        -p|--project-name) project="$2"; shift 2 ;;
        --project-name=*) project="${1#*=}"; shift ;;
        -f|--file) [ -z "$dir" ] && dir=$(dirname "$2"); shift 2 ;;
        --file=*) [ -z "$dir" ] && dir=$(dirname "${1#*=}"); shift ;;
        --project-directory) dir="$2"; shift 2 ;;
        --env-file|-H|--host|--context|-c|--log-level|--ansi|--profile) shift 2 ;;
        -*) shift ;;
        *) sub="$1"; break ;;
    esac
done
case "$sub" in
    up|build|create|run)
        [ -z "$project" ] && project=$(basename "$(cd "${dir:-.}" && pwd)")
        project=$(printf '%s' "$project" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_-')
        docker images --format '{{.Repository}}:{{.Tag}}' | while read -r image; do
            case "$image" in
                "${project}_"*) docker tag "$image" "${project}-${image#"${project}_"}" ;;
            esac
        done
        ;;
esac
exit $rc
