"""The JSON API under /api/v1: consents, the log's checkpoints and proofs, native apps, OpenAPI."""
