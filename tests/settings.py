"""A minimal host site: installs oauthhub and mounts its urls under /auth/.

Set DATABASE_URL=postgres://… and REDIS_URL=redis://… to run the same suite on
PostgreSQL and Redis (.ci/run does).
"""

import os
from pathlib import Path

from config.settings import database_from_url

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # the management API's schema and docs templates
    "drf_spectacular_sidecar",  # Swagger UI's files, served by this site (no CDN)
    "oauth2_provider",
    "oauthhub",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's CSS and JS from any server process (gunicorn included).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# SQLite runs on a file (not in memory) so that tests can start real server
# processes on the same test database.
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", "sqlite:///" + str(Path(__file__).parent / ".db.sqlite3")))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # One file per test run, so concurrent runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(__file__).parent / f".test-db-{os.getpid()}.sqlite3")}
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"],
                          # pytest-xdist workers share the Redis database but not their test databases:
                          # keys such as "oauthhub:keys:<workspace id>" must not collide between them.
                          "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", "")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test logins
STATIC_URL = "static/"
WHITENOISE_USE_FINDERS = True  # no collectstatic step for the test host
LOGIN_URL = "/accounts/login/"

# The settings lines README.md tells a host to add:
# oauthhub fills django-oauth-toolkit's application slot; set before the first migrate.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauthhub.Client"
OAUTH2_PROVIDER = {
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # oauthhub's client model allows http only for loopback redirect URIs (RFC 8252).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}

# The management API's request and response bodies as separate schema components.
SPECTACULAR_SETTINGS = {"COMPONENT_SPLIT_REQUEST": True}

OAUTHHUB = {
    "RESOURCE_SERVER": {"WORKSPACE": "acme"},  # tests/resource_views.py validate acme tokens
    # Server processes behind one "load balancer" share an issuer (tests/interop).
    "ISSUER_BASE_URL": os.environ.get("OAUTHHUB_ISSUER_BASE_URL") or None,
}
