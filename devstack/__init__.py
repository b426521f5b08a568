"""The local stack behind `make demo`: a managed Temporal dev server, the sandbox, the worker."""
