"""The `kelisim` command: serving, migrations, staff accounts, the log's proofs, scans and the
demo."""
