// Placeholder so the target compiles; the resampling engine replaces it.
