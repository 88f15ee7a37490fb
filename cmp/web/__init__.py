"""Operational endpoints of the web edge: health checks and metrics."""
