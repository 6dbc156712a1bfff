"""Form fields the admin shares: human durations, grant-type checkboxes, redirect URIs.

Values go in and come out as an admin types them ("15m", one URI per line);
the model keeps seconds and space-separated strings, and its ``clean()`` stays
the one place that decides what is allowed.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from ..durations import compact, humanize, parse
from ..exceptions import DurationError
from ..models import Workspace
from ..profiles import PROFILES, get_profile


class DurationField(forms.Field):
    """A lifetime typed as ``900``, ``90s``, ``15m``, ``1h`` or ``30d``; empty means inherit."""

    widget = forms.TextInput(attrs={"size": 8, "placeholder": "inherit", "autocomplete": "off"})

    def __init__(self, *, required: bool = False, **kwargs) -> None:
        super().__init__(required=required, **kwargs)

    def prepare_value(self, value):
        # Stored seconds (int) become "15m"; text an admin typed is shown back as typed.
        if isinstance(value, int) and not isinstance(value, bool):
            return compact(value)
        return value

    def to_python(self, value) -> int | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse(value)
        except DurationError as exc:
            raise ValidationError(str(exc), code="invalid_duration") from exc


def bounds_text(kind: str, profile_name: str | None) -> str:
    """"Allowed: …" for one profile, or for every profile when it is not known yet."""
    if profile_name is not None:
        return f"Allowed: {get_profile(profile_name).describe_bounds(kind)}."
    default = PROFILES["default"]
    text = f"Allowed: {default.describe_bounds(kind)}"
    tighter = [
        f"{p.label}: {p.describe_bounds(kind)}"
        for p in PROFILES.values()
        if p.describe_bounds(kind) != default.describe_bounds(kind)
    ]
    return text + (f" ({'; '.join(tighter)})." if tighter else ".")


def ttl_help(*, current: int | None, bounds: str, empty: str) -> str:
    """Help text beside a TTL input: the value in words, its bounds, what empty means."""
    parts = [f"Now {humanize(current)}." if current is not None else "", bounds, empty]
    return " ".join(part for part in parts if part)


class GrantTypesField(forms.TypedMultipleChoiceField):
    """Workspace.GrantType as checkboxes; stored as a JSON list of RFC names.

    Not required at the form level: the models say in their own words why an
    empty (or disallowed) choice is wrong.
    """

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", Workspace.GrantType.choices)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value) -> list[str]:
        chosen = set(super().clean(value))
        # Keep the enum's order so the stored list does not depend on the browser.
        return [name for name in Workspace.GrantType.values if name in chosen]


class RedirectURIsField(forms.CharField):
    """Redirect URIs one per line (or space-separated); stored space-separated.

    DOT keeps ``redirect_uris`` as one space-separated string, which a textarea
    shows badly; each URI gets its own line here.
    """

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80, "spellcheck": "false"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "One URI per line. https, or http on 127.0.0.1, [::1] or localhost only; "
            "no wildcards or fragments. Required for the authorization code grant.",
        )
        super().__init__(strip=True, **kwargs)

    def prepare_value(self, value):
        return "\n".join(value.split()) if isinstance(value, str) else value

    def to_python(self, value) -> str:
        return " ".join(super().to_python(value).split())
