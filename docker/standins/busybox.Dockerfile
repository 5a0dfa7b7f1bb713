# Stand-in for busybox and alpine in the sandbox's registry: the Debian stand-in's root filesystem
# with busybox's applets ahead of Debian's tools on PATH (wget, ping, vi, ...) and sh as its
# command, as both official images start. It is larger than either, and it has no apk.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN busybox --install -s /usr/local/bin
CMD ["sh"]
