"""Bulk actions on the roster (resend, revoke, deactivate many people at once): the jobs and
their progress. What each action does to one person is the flows' (``flows.people_bulk``)."""
