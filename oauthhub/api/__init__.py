"""The management API (DRF): workspaces, scopes, clients, keys, tokens and the audit log under /api/v1/.

Mounted by ``oauthhub.urls``; secured by admin access tokens of the system
workspace or a staff session. See docs/api.md.
"""
