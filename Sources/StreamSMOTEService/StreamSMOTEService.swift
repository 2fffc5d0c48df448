// Placeholder so the target compiles; the service modules replace it.
