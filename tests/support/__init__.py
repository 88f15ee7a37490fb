"""What the tests share and which is not itself a test: staff accounts and forms, the public
contracts, real server and PostgreSQL processes, the log scan, npm clients, loopback sites."""
