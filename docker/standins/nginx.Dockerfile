# Stand-in for nginx in the sandbox's registry: Debian's nginx on the servers' root filesystem, kept
# to the official image's contract: the site in /etc/nginx/conf.d/default.conf (a tutorial may mount
# its own there), pages from /usr/share/nginx/html on port 80, logs on the container's stdout and
# stderr, in the foreground, stopped by SIGQUIT. Its welcome page is the project's own, titled as
# the official one is. No njs, no envsubst templates.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY nginx-default.conf /etc/nginx/conf.d/default.conf
COPY nginx-index.html /usr/share/nginx/html/index.html
RUN rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
