import pytest

from oauthhub import durations
from oauthhub.exceptions import DurationError


@pytest.mark.parametrize(
    "text, seconds",
    [("900", 900), ("90s", 90), ("15m", 900), ("1h", 3600), ("30d", 2592000), (" 2H ", 7200), (60, 60)],
)
def test_parse(text, seconds):
    assert durations.parse(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1.5h", "-5", "15 minutes", "1h30m", True, -1, "9" * 20])
def test_parse_refuses(text):
    with pytest.raises(DurationError):
        durations.parse(text)


def test_duration_error_is_a_value_error():
    with pytest.raises(ValueError):
        durations.parse("soon")


@pytest.mark.parametrize(
    "seconds, text",
    [(1, "1 s"), (59, "59 s"), (60, "1 min"), (900, "15 min"), (3600, "1 h"), (7200, "2 h"), (86400, "1 day"),
     (2592000, "30 days"), (90, "1 min 30 s"), (None, "—")],
)
def test_humanize(seconds, text):
    assert durations.humanize(seconds) == text
