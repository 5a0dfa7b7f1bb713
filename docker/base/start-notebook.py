#!/opt/conda/bin/python
"""Start JupyterLab as the official images do (DOCKER_STACKS_JUPYTER_CMD, default `lab`)."""
import os
import sys

command = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
if os.environ.get("NOTEBOOK_ARGS"):
    command += os.environ["NOTEBOOK_ARGS"].split()
command += sys.argv[1:]
os.execvp(command[0], command)
