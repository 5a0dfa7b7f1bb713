# Stand-in for jupyter/minimal-notebook and jupyter/datascience-notebook in the sandbox's registry:
# the project's Jupyter base (it keeps the docker-stacks contract: jovyan 1000:100, start-notebook,
# port 8888, a token in the log) with a conda stand-in that installs nothing (see `conda`).
# It lacks the datascience image's R and Julia kernels.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY --chown=1000:100 conda /opt/conda/bin/conda
