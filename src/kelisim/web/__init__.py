"""The web edge: the app factory, banner delivery, the API, the receipt pages and the admin. Only
this layer (and the CLI above it) may import Flask; it builds no SQL."""
