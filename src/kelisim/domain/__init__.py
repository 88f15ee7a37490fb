"""What Kelisim decides, with no Flask, no SQL and no clock of its own: the catalogue and its rules,
consent decisions and their standing, tokens, request context, hosts and display texts."""
