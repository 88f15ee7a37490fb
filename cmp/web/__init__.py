"""Web-edge modules added beside cmp.api: health checks and metrics, native-app endpoints, the
embeddable cookie declaration, and what recording a consent triggers beyond the log. Like cmp.api
they may use Flask."""
