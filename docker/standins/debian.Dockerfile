# Stand-in for debian and ubuntu in the sandbox's registry (the real ones cannot be pulled here): a
# Debian bookworm minbase root filesystem made by mmdebstrap on the host, as the official debian
# image is (root, bash as its command, apt and dpkg, no package lists until `apt-get update`). It
# also carries busybox, which the official images do not. Under the name ubuntu it is still Debian.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
CMD ["bash"]
