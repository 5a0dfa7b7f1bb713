# Stand-in for continuumio/anaconda3 in the sandbox's registry (the real one cannot be pulled here):
# the notebook stand-in run the way the real image runs: as root, tini then bash, Jupyter and the
# conda stand-in on PATH.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
WORKDIR /
ENTRYPOINT ["tini", "--"]
CMD ["/bin/bash"]
