# The hub `cargo xtask hub up` runs: NativeAuthenticator with accounts the admin makes
# (`cargo xtask hub add-user NAME`, no sign-up page), DockerSpawner starting each user's server
# from the project's image on the hub's own network, with that user's named volume at
# /work/outputs, the notebooks read-only at /work, the notebook user, no-new-privileges, memory and
# CPU limits; the idle culler stops idle servers (their volumes stay). Everything that differs
# between hubs comes from HUB_* variables the xtask sets; the state lives in /srv/jupyterhub/data.
import json
import os
import re
import sys

import docker

c = get_config()  # noqa: F821 (jupyterhub's config loader defines it)
env = os.environ
hub_name = env["HUB_NAME"]
labels = json.loads(env.get("HUB_LABELS", "{}"))
labels["jupyter-docker-xtask.hub"] = hub_name
data = "/srv/jupyterhub/data"

c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = hub_name
c.JupyterHub.db_url = f"sqlite:///{data}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{data}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = ""
if env.get("HUB_TLS") == "1":
    # `hub up --ssl-cert/--ssl-key` (required by --public): the proxy serves HTTPS only.
    c.JupyterHub.ssl_cert = "/srv/tls/cert.pem"
    c.JupyterHub.ssl_key = "/srv/tls/key.pem"
c.ConfigurableHTTPProxy.pid_file = "/tmp/jupyterhub-proxy.pid"

c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
c.NativeAuthenticator.enable_signup = False
c.NativeAuthenticator.open_signup = False

# A user name becomes a container name and a volume name: a letter, then letters or digits.
USER_NAME = re.compile(r"^[a-z][a-z0-9]{0,31}$")
OUTPUTS = "/work/outputs"


def volume_of(name):
    return f"{env.get('HUB_VOLUME_PREFIX', 'jupyter')}-{name}"


SWARM = env.get("HUB_SWARM") == "1"
if SWARM:
    # The config folder is mounted read-only at /etc/jupyterhub: the placement rules live there too.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import swarm_placement


def engine():
    return docker.APIClient(base_url="unix:///var/run/docker.sock", version="auto", timeout=30)


def engine_gone(spawner, name, error):
    # The engine gone, or refusing: one line for the log and the page.
    spawner.log.error("%s: the Docker engine did not answer the hub (%s)", name, type(error).__name__)
    return RuntimeError(
        "the Docker engine does not answer the hub, so no server can start: "
        "tell the admin (cargo xtask hub status); your files are safe on your volume"
    )


def before_spawn(spawner):
    name = spawner.user.name
    if not USER_NAME.match(name):
        raise ValueError(
            f"user name {name!r} cannot name a volume: ask the admin for an account "
            "of lowercase letters and digits"
        )
    volume = volume_of(name)
    volume_labels = dict(labels, **{"jupyter-docker-xtask.user": name})
    if SWARM:
        return before_swarm_spawn(spawner, name, volume, volume_labels)
    try:
        engine().create_volume(name=volume, labels=volume_labels)
    except Exception as error:
        raise engine_gone(spawner, name, error) from None
    spawner.volumes = {volume: OUTPUTS}
    spawner.log.info("%s: server with volume %s at %s", name, volume, OUTPUTS)


def before_swarm_spawn(spawner, name, volume, volume_labels):
    # SwarmSpawner mounts every volume as a bind: the user's named volume (made by the node that
    # runs the task, with the project's labels) and the notebooks are given here instead.
    from docker.types import Mount

    need = int(spawner.mem_guarantee or 0)
    try:
        node, host = swarm_placement.place(
            engine(), name, spawner.object_name, need, f"{data}/swarm-placements.json"
        )
    except swarm_placement.Refused as refused:
        spawner.log.error("%s: %s", name, refused)
        raise RuntimeError(str(refused)) from None
    except Exception as error:
        raise engine_gone(spawner, name, error) from None
    mounts = [Mount(target=OUTPUTS, source=volume, type="volume", labels=volume_labels)]
    if env.get("HUB_NOTEBOOKS"):
        mounts.append(Mount(target="/work", source=env["HUB_NOTEBOOKS"], type="bind", read_only=True))
    spawner.volumes = {}
    spawner.extra_placement_spec = {"constraints": [f"node.id=={node}"]}
    spawner.extra_container_spec = dict(SWARM_CONTAINER, mounts=mounts)
    spawner.log.info("%s: server on node %s with volume %s at %s", name, host, volume, OUTPUTS)


c.Spawner.pre_spawn_hook = before_spawn
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = env["HUB_IMAGE"]
c.DockerSpawner.network_name = env["HUB_NETWORK"]
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.prefix = hub_name
c.DockerSpawner.name_template = "{prefix}-{username}"
c.DockerSpawner.remove = True
c.DockerSpawner.pull_policy = "never"
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
c.DockerSpawner.notebook_dir = "/work"
c.DockerSpawner.default_url = "/lab"
c.DockerSpawner.mem_limit = env.get("HUB_MEMORY", "2G").upper()
c.DockerSpawner.cpu_limit = float(env.get("HUB_CPUS", "1"))
# The image's healthcheck asks /api at the root, which a server under /user/NAME/ does not serve.
c.DockerSpawner.extra_create_kwargs = {
    "user": "1000:100",
    "labels": labels,
    "healthcheck": {"test": ["NONE"]},
}
c.DockerSpawner.extra_host_config = {"security_opt": ["no-new-privileges"]}
if env.get("HUB_NOTEBOOKS") and not SWARM:
    c.DockerSpawner.read_only_volumes = {env["HUB_NOTEBOOKS"]: "/work"}
if SWARM:
    from docker.types import Healthcheck

    # Each server a service on the hub's overlay network, found by its name through DNS round
    # robin (no virtual IP: it needs IPVS, which not every node has), its memory limit reserved
    # so the scheduler and swarm_placement agree on what fits. Services take no security options
    # on Docker 20.10: no-new-privileges cannot be set, so every capability is dropped instead.
    c.JupyterHub.spawner_class = "dockerspawner.SwarmSpawner"
    c.SwarmSpawner.extra_create_kwargs = {"labels": labels}
    c.SwarmSpawner.extra_endpoint_spec = {"mode": "dnsrr"}
    c.SwarmSpawner.mem_guarantee = c.DockerSpawner.mem_limit
    SWARM_CONTAINER = {
        "user": "1000:100",
        "labels": labels,
        "healthcheck": Healthcheck(test=["NONE"]),
        "cap_drop": ["ALL"],
    }
c.Spawner.start_timeout = int(env.get("HUB_START_TIMEOUT", "120"))
c.Spawner.http_timeout = int(env.get("HUB_START_TIMEOUT", "120"))

cull = env.get("HUB_CULL_TIMEOUT", "3600")
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={cull}",
            f"--cull-every={max(5, min(300, int(cull) // 3))}",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
