"""Runs docker/hub/swarm_placement.py against a fake engine (argv[1]: the folder holding it):
prints one line per case, which the Rust unit test compares with what it expects."""
import os
import sys
import tempfile

sys.path.insert(0, sys.argv[1])
import swarm_placement  # noqa: E402

GIB = 2**30


class Engine:
    def __init__(self, nodes):
        self.nodes_ = nodes  # {id: (host, memory, ready)}
        self.running = {}  # service id -> (node id, reserved)

    def nodes(self):
        return [
            {
                "ID": i,
                "Status": {"State": "ready" if ready else "down"},
                "Spec": {"Availability": "active"},
                "Description": {"Hostname": host, "Resources": {"MemoryBytes": memory}},
            }
            for i, (host, memory, ready) in self.nodes_.items()
        ]

    def tasks(self, filters):
        return [
            {"ServiceID": s, "Spec": {"Resources": {"Reservations": {"MemoryBytes": r}}}}
            for s, (n, r) in self.running.items()
            if n == filters["node"]
        ]

    def services(self, filters):
        return [{"ID": filters["name"]}] if filters["name"] in self.running else []


def case(engine, user, need, path):
    try:
        node, host = swarm_placement.place(engine, user, "hub-" + user, need, path)
        engine.running["hub-" + user] = (node, need)
        return f"{user}: {host}"
    except swarm_placement.Refused as refused:
        return f"{user}: refused: {refused}"


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "placements.json")
    engine = Engine({"n1": ("node-a", 10 * GIB, True), "n2": ("node-b", 10 * GIB, True)})
    print(case(engine, "alice", 6 * GIB, path))
    print(case(engine, "bob", 6 * GIB, path))
    print(case(engine, "carol", 6 * GIB, path))
    # alice's server stops: she goes back to her node, even though both have room now.
    del engine.running["hub-alice"]
    del engine.running["hub-bob"]
    print(case(engine, "bob", 6 * GIB, path))
    print(case(engine, "alice", 6 * GIB, path))
    # Her node is full (dave took it), and then it is down.
    del engine.running["hub-alice"]
    engine.running["dave"] = ("n1", 6 * GIB)
    print(case(engine, "alice", 6 * GIB, path))
    engine.nodes_["n1"] = ("node-a", 10 * GIB, False)
    print(case(engine, "alice", 6 * GIB, path))
