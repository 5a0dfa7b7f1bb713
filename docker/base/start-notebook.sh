#!/bin/bash
# Older name of the notebook start command, kept as on the official images.
exec start-notebook.py "$@"
