# Article 3, "Jupyter container and MySQL": the notebook image with the MySQL connector, the project
# folder copied in as jovyan, and the credentials as build arguments turned into ENV defaults.
# Built with the article's `--build-arg USER=... --build-arg PASSWORD=...` the password ends up in the
# image (its config and history); `cargo xtask build` and the corrected walkthrough pass none, so the
# ENV stays NOT_DEFINED and the credentials come at run time (`docker run --env-file .env`).
ARG BASE_IMAGE=quay.io/jupyter/minimal-notebook:2026-07-20
FROM ${BASE_IMAGE}
RUN pip install geopandas
# Offline substitution: the article installs GDAL with conda. On the official image that line runs as
# written; the offline stand-in has no conda, and carries GDAL's Python bindings (Debian's python3-gdal)
# and geopandas already, so there `pip install geopandas` is satisfied without any download and the
# conda line is replaced by a check that GDAL imports.
RUN if command -v conda >/dev/null; then conda install -c conda-forge gdal; else python -c "from osgeo import gdal; import geopandas"; fi
RUN pip install mysql-connector-python
EXPOSE 8888
WORKDIR /work
COPY --chown=$NB_UID:$NB_GID . /work
ARG USER
ARG PASSWORD
ENV MYSQL_USER=${USER:-NOT_DEFINED}
ENV MYSQL_PASSWORD=${PASSWORD:-NOT_DEFINED}
