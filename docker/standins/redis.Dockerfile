# Stand-in for redis in the sandbox's registry: Debian's redis-server on the servers' root
# filesystem, kept to the official image's contract: run as the redis user in /data (a declared
# volume), port 6379 on every interface of the container with no password, redis-cli beside it.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN mkdir -p /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
EXPOSE 6379
USER redis
CMD ["redis-server", "--protected-mode", "no"]
