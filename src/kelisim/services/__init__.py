"""Use cases over the store: recording and withdrawing consents, revisions, accounts, subjects,
statistics, evidence, scans and rate limits. The web edge and the CLI call these; they call nothing
above themselves."""
