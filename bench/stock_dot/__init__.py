"""Stock django-oauth-toolkit project, the baseline of bench/token_endpoint.py.

Nothing of oauthhub is installed here: DOT's own Application model, its default
settings, and client secrets hashed with Django's default password hasher.
"""
