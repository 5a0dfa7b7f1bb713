"""Where a user's server runs when the hub spawns on a Docker Swarm (`cargo xtask hub up --swarm`).

A named volume lives on the node that made it, so a user's server must always go back to the node
that holds that user's volume: the first spawn picks a node and records it in the hub's state
(a JSON file beside its database), and every later spawn is pinned there (`node.id==...`). A new
user goes to the ready node with the fewest users, among those with room. Room is the node's
memory less what the servers running there reserve: a server that cannot fit is refused at once,
in one line, instead of a service left pending until the spawn times out.
"""
import json
import os


class Refused(Exception):
    """A spawn that cannot be placed: its message is the one line the user and the log get."""


def gib(n):
    return f"{n / 2**30:.1f} GiB"


def _ready_nodes(client):
    ready = {}
    for node in client.nodes():
        if node["Status"]["State"] == "ready" and node["Spec"].get("Availability") == "active":
            ready[node["ID"]] = node
    return ready


def _free_memory(client, node, user_service):
    total = node["Description"]["Resources"]["MemoryBytes"]
    reserved = 0
    for task in client.tasks(filters={"node": node["ID"], "desired-state": "running"}):
        if task.get("ServiceID") == user_service:
            continue
        reservations = task["Spec"].get("Resources", {}).get("Reservations", {})
        reserved += reservations.get("MemoryBytes", 0)
    return total - reserved


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _save(path, placements):
    with open(path + ".new", "w") as f:
        json.dump(placements, f, indent=1, sort_keys=True)
    os.replace(path + ".new", path)


def place(client, user, service, need, path):
    """The (node id, host name) where `user`'s server goes; raises Refused when it cannot go anywhere."""
    placements = _load(path)
    nodes = _ready_nodes(client)
    service_id = next((s["ID"] for s in client.services(filters={"name": service})), None)
    if user in placements:
        node_id, host = placements[user]["node"], placements[user]["host"]
        if node_id not in nodes:
            raise Refused(
                f"{user}'s volume is on the swarm node {host}, which is down or drained: "
                "tell the admin (cargo xtask hub status); your files stay on that node"
            )
        free = _free_memory(client, nodes[node_id], service_id)
        if free < need:
            raise Refused(
                f"the swarm node {host}, where {user}'s volume is, is full: a server needs {gib(need)} "
                f"and {gib(max(free, 0))} is free; stop a server there or start the hub with a smaller --memory"
            )
        return node_id, host
    users_on = {}
    for placed in placements.values():
        users_on[placed["node"]] = users_on.get(placed["node"], 0) + 1
    roomy = [n for n in nodes.values() if _free_memory(client, n, service_id) >= need]
    if not roomy:
        raise Refused(
            f"no swarm node has room for another server of {gib(need)} ({len(nodes)} ready): "
            "stop a server, add a node, or start the hub with a smaller --memory"
        )
    node = min(roomy, key=lambda n: (users_on.get(n["ID"], 0), n["Description"]["Hostname"]))
    host = node["Description"]["Hostname"]
    placements[user] = {"node": node["ID"], "host": host}
    _save(path, placements)
    return node["ID"], host
