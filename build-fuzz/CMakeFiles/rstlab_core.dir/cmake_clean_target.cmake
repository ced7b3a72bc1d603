file(REMOVE_RECURSE
  "librstlab_core.a"
)
