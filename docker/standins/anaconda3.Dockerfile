# Stand-in for continuumio/anaconda3 in the sandbox's registry (the real one cannot be pulled here):
# the project's Jupyter base, run the way the real image runs: as root, tini then bash, Jupyter on
# PATH. It has no conda: a claim only conda could show is reported as not checkable.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
USER root
WORKDIR /
ENTRYPOINT ["tini", "--"]
CMD ["/bin/bash"]
