# Empty compiler generated dependencies file for rstlab_lab.
# This may be replaced when dependencies are built.
