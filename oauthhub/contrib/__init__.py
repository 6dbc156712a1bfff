"""Protecting APIs with oauthhub access tokens: DRF (rest_framework) and plain Django (django)."""
