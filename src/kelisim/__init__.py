"""Kelisim: a self-hosted cookie and tracker consent manager.

The package is layered, and imports only go down: `cli` → `web` → `services` → `store` → `domain`.
`scanner` and `demo` stand beside the server (the scanner reads the domain's catalogue; the demo
starts the web app). `settings` is read by every layer but the domain. docs/architecture.md draws
the tree; tests/test_layers.py and the per-layer ruff bans hold the rule.
"""
