"""Invite links: the portal's shareable link, workspace links, sign-ups and join requests."""
