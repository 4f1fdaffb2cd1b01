"""The generated config is read as declared; environment values override it or are refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.settings import CONFIG_PATH, ConfigError, load_config, resolve  # noqa: E402


def test_the_shipped_config_declares_what_the_app_reads() -> None:
    config = load_config(CONFIG_PATH)
    for name in ("SENTRY_ENABLED", "SENTRY_DSN", "SENTRY_ENVIRONMENT", "SENTRY_TRACES_SAMPLE_RATE"):
        assert name in config.settings
    # Bugsink throws transactions away, so tracing is off unless asked for.
    assert config.settings["SENTRY_TRACES_SAMPLE_RATE"].default == 0.0
    assert "password" in config.scrubbing.fields
    # every list of the spec's scrubbing requirement reaches the runtime, none of them empty
    for name, names in vars(config.scrubbing).items():
        assert names, f"[scrubbing] {name} is empty"
    assert {"pwd", "session"} <= set(config.scrubbing.words)


def test_environment_overrides_defaults() -> None:
    config = load_config(CONFIG_PATH)
    resolved = resolve(
        config,
        {
            "SENTRY_ENABLED": "off",
            "SENTRY_TRACES_SAMPLE_RATE": "0.25",
            "SENTRY_ENVIRONMENT": " staging ",
            "SENTRY_TEST_ROUTES": "ON",
        },
    )
    assert resolved.problems == []
    assert resolved.get("SENTRY_ENABLED") is False
    assert resolved.get("SENTRY_TRACES_SAMPLE_RATE") == 0.25
    assert resolved.get("SENTRY_ENVIRONMENT") == "staging"
    assert resolved.get("SENTRY_TEST_ROUTES") == "on"


def test_an_empty_variable_means_unset() -> None:
    """Compose passes ``${SENTRY_ENABLED:-}`` through as an empty string: that is "not set"."""
    config = load_config(CONFIG_PATH)
    resolved = resolve(config, {"SENTRY_ENABLED": "", "SENTRY_ENVIRONMENT": "  ", "SENTRY_TRACES_SAMPLE_RATE": ""})
    assert resolved.problems == []
    assert resolved.get("SENTRY_ENABLED") is config.settings["SENTRY_ENABLED"].default is True
    assert resolved.get("SENTRY_ENVIRONMENT") == config.settings["SENTRY_ENVIRONMENT"].default
    assert resolved.get("SENTRY_TRACES_SAMPLE_RATE") == config.settings["SENTRY_TRACES_SAMPLE_RATE"].default


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("SENTRY_TRACES_SAMPLE_RATE", "abc", "expected a number"),
        ("SENTRY_TRACES_SAMPLE_RATE", "1.5", "above the maximum"),
        ("SENTRY_TRACES_SAMPLE_RATE", "nan", "finite"),
        ("SENTRY_ENABLED", "maybe", "true/false"),
        ("SENTRY_TEST_ROUTES", "sometimes", "auto, on, off"),
        ("SENTRY_TRANSPORT_QUEUE_SIZE", "5", "below the minimum"),
    ],
)
def test_a_bad_environment_value_keeps_the_default_and_says_why(
    name: str, value: str, reason: str
) -> None:
    config = load_config(CONFIG_PATH)
    resolved = resolve(config, {name: value})
    assert resolved.get(name) == config.settings[name].default
    (problem,) = resolved.problems
    assert name in problem
    assert reason in problem


SECRET_KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("raw", [
    f"http://{SECRET_KEY}@/1", f"http://{SECRET_KEY}@bugsink.example/",
    f"ftp://{SECRET_KEY}@bugsink.example/1", SECRET_KEY,
    f"http://{SECRET_KEY}@bugsink.example:notaport/1",
])
def test_a_dsn_is_never_echoed_in_a_problem(raw: str) -> None:
    """Each of these DSNs is refused with a reason, and no reason shows the key, whole or in part."""
    from runtime.error_tracking import check_dsn

    dsn, reason = check_dsn(raw)
    assert (dsn, bool(reason)) == ("", True)
    assert SECRET_KEY not in reason and SECRET_KEY[:8] not in reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[settings.A\ntype = 1", "line 1"),
        ('[settings.A]\ntype = "colour"\ndefault = 1\n', "type must be one of"),
        ('[settings.A]\ntype = "enum"\ndefault = "x"\n', "choices"),
        ('[settings.A]\ntype = "float"\ndefault = 2.0\nmax = 1.0\n', "above the maximum"),
        ('[scrubbing]\nfields = "password"\n', "list of non-empty strings"),
    ],
)
def test_a_broken_config_names_the_file_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "error_tracking.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")
