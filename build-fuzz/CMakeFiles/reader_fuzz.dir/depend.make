# Empty dependencies file for reader_fuzz.
# This may be replaced when dependencies are built.
