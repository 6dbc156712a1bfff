"""The management API's errors and the handler that renders every one of them the same way.

Every error body is ``{"code": …, "detail": …}``; a validation error adds
``"errors"``, the field errors by field name (``non_field_errors`` for the
rest). The codes are stable and listed in docs/api.md. The handler is set on
the API's views only (``get_exception_handler``), so the host's own DRF views
keep theirs.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from ..contrib._bearer import BearerError
from ..exceptions import OAuthHubError, RotationError

REALM = "oauthhub"


class ManagementAPIError(OAuthHubError, exceptions.APIException):
    """Base of the API's own errors."""


class BearerAuthError(ManagementAPIError):
    """An RFC 6750 error (invalid_request, invalid_token, insufficient_scope), with its challenge."""

    def __init__(self, error: BearerError, scope: str | None = None) -> None:
        super().__init__(detail=error.description, code=error.error)
        self.status_code = error.status
        self.auth_header = error.challenge(REALM, scope)


def invalid_token(description: str) -> BearerAuthError:
    return BearerAuthError(BearerError("invalid_token", description, 401))


def insufficient_scope(scope: str) -> BearerAuthError:
    return BearerAuthError(
        BearerError("insufficient_scope", f"The access token lacks the {scope} scope.", 403), scope=scope
    )


class PreconditionFailed(ManagementAPIError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it. Fetch it again and reapply your change."
    default_code = "precondition_failed"


class Conflict(ManagementAPIError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the resource's current state."
    default_code = "conflict"


class RotationRefused(Conflict):
    default_code = "rotation_refused"


class SystemWorkspaceProtected(Conflict):
    default_detail = "The management API depends on the system workspace and its scopes; this would lock it out."
    default_code = "system_workspace_protected"


class ConfirmationRequired(ManagementAPIError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "confirmation_required"


# Rendering -------------------------------------------------------------------------------


def api_exception_handler(exc, context):
    """DRF's handler, then the API's body shape; None (a 500) for anything unexpected."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # never "No Workspace matches …" or any other hint
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, RotationError):
        exc = RotationRefused(str(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc)
    return response


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        if isinstance(errors, list):
            errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
        elif not isinstance(errors, dict):
            errors = {api_settings.NON_FIELD_ERRORS_KEY: [errors]}
        return {"code": "validation_error", "detail": _summary(errors), "errors": errors}
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    if isinstance(detail, (list, dict)):  # not raised by the API, but keep the shape
        return {"code": code, "detail": "; ".join(_messages(detail))}
    return {"code": str(code), "detail": str(detail)}


def django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A model's ValidationError as DRF field errors, keeping the model's own messages."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): list(messages)
        for field, messages in error.message_dict.items()
    }


def _summary(errors: dict) -> str:
    messages = _messages(errors)
    if len(messages) == 1:
        return messages[0]
    return "The request has invalid fields; see errors."


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]
