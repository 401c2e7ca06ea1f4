"""Webhooks: each portal's endpoints told of what happens, signed per Standard Webhooks."""
