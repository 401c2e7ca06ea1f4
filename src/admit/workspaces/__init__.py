"""Workspaces: where internal users and clients work together (minimal core; see service.py)."""
