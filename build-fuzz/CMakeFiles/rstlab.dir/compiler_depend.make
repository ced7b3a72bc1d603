# Empty compiler generated dependencies file for rstlab.
# This may be replaced when dependencies are built.
