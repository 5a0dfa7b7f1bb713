# Article 2, "Named Volumes": the --chown form without the VOLUME instruction.
ARG BASE_IMAGE=quay.io/jupyter/minimal-notebook:2026-07-20
FROM ${BASE_IMAGE}
RUN pip install geopandas
# Offline substitution: the article installs GDAL with conda. On the official image that line runs as
# written; the offline stand-in has no conda, and carries GDAL's Python bindings (Debian's python3-gdal)
# and geopandas already, so there `pip install geopandas` is satisfied without any download and the
# conda line is replaced by a check that GDAL imports.
RUN if command -v conda >/dev/null; then conda install -c conda-forge gdal; else python -c "from osgeo import gdal; import geopandas"; fi
EXPOSE 8888
WORKDIR /work
COPY --chown=$NB_UID:$NB_GID . /work
