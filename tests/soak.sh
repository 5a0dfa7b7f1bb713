#!/usr/bin/env bash
# Soak: N rounds of `up` / `run` / `down` on one named volume holding earlier data, with a random
# kill in about a third of the rounds (the container with `docker kill`, or the xtask with SIGKILL
# or SIGINT, at a random moment of a random step). Reports the resources left behind (anything
# carrying the soak's run label but its volume), the bytes lost from the volume (sha256 of the
# earlier data before and after every round; the notebook's CSV after every complete run against
# the first one), the errors no kill explains, and those that follow a kill (in its round or the
# next: an interrupted `down` leaves its `docker stop` running in the engine).
#
#   tests/soak.sh [ROUNDS]          (default 100; SOAK_SEED=n repeats the same choices)
#
# Everything it makes carries the project's labels and a run label `suite-<this pid>-<secs>`
# (so a crashed soak is swept by the next `cargo xtask test`); it removes it all at the end.
set -u

ROUNDS=${1:-${SOAK_ROUNDS:-100}}
SEED=${SOAK_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=custom-jupyter-image:named-volume
CSV=Motorized-Foot-Scooter-Trips-2020.csv
RUN=suite-$$-$(date +%s)
NAME=jdx-soak-$$
VOLUME=jdx-soak-vol-$$
WORK=$(mktemp -d)
export JUPYTER_DOCKER_XTASK_RUN_ID=$RUN

cd "$ROOT"
cargo build -q -p xtask || exit 1
XTASK=$ROOT/target/debug/xtask
"$XTASK" build >/dev/null || exit 1

labelled() { docker "$1" ls ${2:-} -q --filter "label=jupyter-docker-xtask.run=$RUN"; }
remove_all() {
    for c in $(labelled container -a); do docker rm -f -v "$c" >/dev/null 2>&1; done
    for v in $(labelled volume); do docker volume rm -f "$v" >/dev/null 2>&1; done
    for n in $(labelled network); do docker network rm "$n" >/dev/null 2>&1; done
    rm -rf "$WORK"
}
trap 'echo "soak interrupted: removing what it made" >&2; remove_all; exit 130' INT TERM

# A private copy of the notebooks, readable by the container's user.
cp -r "$ROOT/notebooks" "$WORK/notebooks" && chmod -R a+rX "$WORK/notebooks"

# The volume with 1 MiB of earlier data, owned by the notebook user as an earlier `up` leaves it.
docker volume create --label jupyter-docker-xtask.managed=true --label jupyter-docker-xtask.owner=xtask \
    --label "jupyter-docker-xtask.run=$RUN" "$VOLUME" >/dev/null || exit 1
in_volume() {
    docker run --rm --label jupyter-docker-xtask.managed=true --label "jupyter-docker-xtask.run=$RUN" \
        --user 0 --entrypoint sh -v "$VOLUME:/o" "$IMAGE" -c "$1"
}
EARLIER=$(in_volume 'head -c 1048576 /dev/urandom > /o/earlier.bin && chown -R 1000:100 /o && sha256sum /o/earlier.bin' | cut -d' ' -f1)
EARLIER_BYTES=1048576

# One step: the xtask, killed (or its container) after a random delay when this is the round's victim.
# Sets RC and KILLED.
step() {
    local what=$1; shift
    "$XTASK" "$@" >"$WORK/$what.log" 2>&1 &
    local pid=$! KILLED_NOW=0
    if [ "$VICTIM" = "$what" ]; then
        sleep "$DELAY"
        if kill -0 "$pid" 2>/dev/null; then
            case $HOW in
                container) docker kill "$NAME" >/dev/null 2>&1 ;;
                sigkill) kill -KILL "$pid" ;;
                sigint) kill -INT "$pid" ;;
            esac
            KILLED_NOW=1
        fi
    fi
    wait "$pid"
    RC=$?
    KILLED=$KILLED_NOW
}

kills=0; missed=0; errors=0; after_kill=0; previous_killed=0; leaks=0; lost=0; csv_wrong=0; complete_runs=0; reference_csv=""
declare -A by_how=([container]=0 [sigkill]=0 [sigint]=0)
started=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
    VICTIM=none
    if (( RANDOM % 3 == 0 )); then
        steps=(up run down); VICTIM=${steps[RANDOM % 3]}
        hows=(container sigkill sigint); HOW=${hows[RANDOM % 3]}
        DELAY=$(( RANDOM % 80 / 10 )).$(( RANDOM % 10 ))
    fi
    notes=""; killed_round=0
    for what in up run down; do
        case $what in
            up) step up up --port 0 --name "$NAME" --volume "$VOLUME" --notebooks "$WORK/notebooks" --timeout 300 ;;
            run) step run run --name "$NAME" ;;
            down) step down down --name "$NAME" ;;
        esac
        if (( KILLED )); then
            kills=$((kills + 1)); by_how[$HOW]=$((by_how[$HOW] + 1)); killed_round=1
            notes+=" $what killed ($HOW after ${DELAY}s, exit $RC);"
        elif (( RC != 0 && ! killed_round && ! previous_killed )); then
            errors=$((errors + 1))
            notes+=" $what FAILED: $(grep '^error:' "$WORK/$what.log" | head -1);"
        elif (( RC != 0 )); then
            # A step after a kill may fail for the kill's reason (the container was killed); say so.
            after_kill=$((after_kill + 1))
            notes+=" $what failed after $( (( killed_round )) && echo the || echo "the previous round's") kill: $(grep '^error:' "$WORK/$what.log" | head -1);"
        elif [ "$what" = run ]; then
            complete_runs=$((complete_runs + 1))
            csv=$(in_volume "sha256sum /o/$CSV" | cut -d' ' -f1)
            if [ -z "$reference_csv" ]; then reference_csv=$csv
            elif [ "$csv" != "$reference_csv" ]; then csv_wrong=$((csv_wrong + 1)); notes+=" the CSV differs from the first run's;"; fi
        fi
    done
    if [ "$VICTIM" != none ] && (( ! killed_round )); then missed=$((missed + 1)); notes+=" ($VICTIM ended before its kill)"; fi
    # A `down` killed mid-way can leave the container: the next round's `up` starts it again.
    left=$(for c in $(labelled container -a); do docker inspect -f '{{.Name}}' "$c"; done | tr -d / | grep -vx "$NAME")
    if [ -n "$left" ]; then leaks=$((leaks + $(echo "$left" | wc -l))); notes+=" leaked: $left;"; fi
    now=$(in_volume 'sha256sum /o/earlier.bin' 2>/dev/null | cut -d' ' -f1)
    if [ "$now" != "$EARLIER" ]; then lost=$EARLIER_BYTES; notes+=" EARLIER DATA CHANGED;"; fi
    previous_killed=$killed_round
    echo "round $round/$ROUNDS:${notes:- ok}"
done

# The end: `down` once more, then everything with the run label but the volume is a leak.
"$XTASK" down --name "$NAME" >/dev/null 2>&1
leftover=$( { for c in $(labelled container -a); do echo "container $(docker inspect -f '{{.Name}}' "$c" | tr -d /)"; done
              for v in $(labelled volume); do [ "$v" != "$VOLUME" ] && echo "volume $v"; done
              for n in $(labelled network); do echo "network $n"; done; } )
secs=$(( $(date +%s) - started ))
remove_all
echo
echo "soak: $ROUNDS rounds in ${secs}s (seed $SEED)"
echo "  kills: $kills (container ${by_how[container]}, SIGKILL ${by_how[sigkill]}, SIGINT ${by_how[sigint]}); $missed more came after their step had ended"
echo "  complete runs: $complete_runs; CSV different from the first run's: $csv_wrong"
echo "  errors no kill explains: $errors; steps failing after a kill (its round or the next): $after_kill"
echo "  leaked between rounds: $leaks; left at the end: $( [ -z "$leftover" ] && echo none || echo "$leftover" | tr '\n' ',' )"
echo "  bytes lost from the volume's earlier data: $lost of $EARLIER_BYTES"
echo "  repeat: SOAK_SEED=$SEED tests/soak.sh $ROUNDS"
[ "$errors" = 0 ] && [ "$leaks" = 0 ] && [ -z "$leftover" ] && [ "$lost" = 0 ] && [ "$csv_wrong" = 0 ]
