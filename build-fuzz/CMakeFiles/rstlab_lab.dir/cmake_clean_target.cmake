file(REMOVE_RECURSE
  "librstlab_lab.a"
)
