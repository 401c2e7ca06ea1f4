"""Read models that join several domains: how a portal names and lists people.

They read through the domains' services and repositories and never write.
"""
