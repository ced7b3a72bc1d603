# Empty dependencies file for rstlab_core.
# This may be replaced when dependencies are built.
