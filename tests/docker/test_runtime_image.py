"""docker/Dockerfile and docker/requirements.txt: the runtime image, checked without building it."""

from __future__ import annotations

import ast
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO_ROOT / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
REQUIREMENTS = DOCKER_DIR / "requirements.txt"
# The image's top-level requirements; requirements.txt pins these and everything they pull in.
TOP_LEVEL = ("emmett", "emmett-sentry", "sentry-sdk", "granian")


def _instructions() -> list[tuple[str, str]]:
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, line in enumerate(REQUIREMENTS.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line)
        assert match, f"{REQUIREMENTS}:{number}: not an exact pin: {line!r}"
        pins[canonicalize_name(match[1])] = str(match[2])
    return pins


def _dependency_closure(names: tuple[str, ...]) -> set[str]:
    """Distributions ``names`` need on this interpreter (same Python and OS as the image)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for raw in metadata.distribution(name).requires or []:
            requirement = Requirement(raw)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def test_base_image_is_a_pinned_slim_python_matching_the_tested_interpreter() -> None:
    (base,) = [args for keyword, args in _instructions() if keyword == "FROM"]
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(-[a-z]+)?", base)
    assert match, base
    assert (int(match[1]), int(match[2])) == sys.version_info[:2]


def test_runs_as_a_non_root_user() -> None:
    instructions = _instructions()
    users = [i for i, (keyword, _) in enumerate(instructions) if keyword == "USER"]
    assert users, "no USER instruction: the container would run as root"
    user = instructions[users[-1]][1]
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    cmd = next(i for i, (keyword, _) in enumerate(instructions) if keyword == "CMD")
    assert users[-1] < cmd


def test_command_serves_the_app_on_all_interfaces_with_granian() -> None:
    (cmd,) = [json.loads(args) for keyword, args in _instructions() if keyword == "CMD"]
    assert cmd[0] == "granian"
    options = dict(zip(cmd[1:-1:2], cmd[2:-1:2], strict=True))
    assert options == {"--interface": "rsgi", "--host": "0.0.0.0", "--port": "8080"}
    module, _, attribute = cmd[-1].partition(":")
    assert attribute == "app"
    assert (REPO_ROOT / Path(*module.split("."))).with_suffix(".py").is_file()
    # The port the compose file publishes and probes is the one granian listens on.
    runtime = yaml.safe_load((DOCKER_DIR / "docker-compose.yaml").read_text())["services"][
        "runtime"
    ]
    assert all(str(port).endswith(":8080") for port in runtime["ports"])
    assert "8080/health" in " ".join(runtime["healthcheck"]["test"])


def test_healthcheck_probes_the_health_route() -> None:
    (check,) = [args for keyword, args in _instructions() if keyword == "HEALTHCHECK"]
    assert "http://127.0.0.1:8080/health" in check


def test_compose_builds_this_dockerfile_from_the_repository_root() -> None:
    compose = yaml.safe_load((DOCKER_DIR / "docker-compose.yaml").read_text())
    build = compose["services"]["runtime"]["build"]
    context = (DOCKER_DIR / build["context"]).resolve()
    assert context == REPO_ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE
    ignore = (DOCKER_DIR / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") :].count("!runtime/") == 1
    assert "!docker/requirements.txt" in ignore


def test_requirements_pin_exactly_what_the_venv_runs() -> None:
    pins = _pins()
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{REQUIREMENTS}: {name}"
    assert set(pins) == _dependency_closure(TOP_LEVEL)


def test_runtime_imports_only_what_the_image_installs() -> None:
    provided = {canonicalize_name(name) for name in _pins()}
    by_module = metadata.packages_distributions()
    local = {path.stem for path in (REPO_ROOT / "runtime").glob("*.py")} | {"runtime"}
    missing = []
    for source in sorted((REPO_ROOT / "runtime").rglob("*.py")):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top in sys.stdlib_module_names or top in local or top == "__future__":
                    continue
                dists = {canonicalize_name(d) for d in by_module.get(top, [])}
                if not dists & provided:
                    missing.append(f"{source.relative_to(REPO_ROOT)}:{node.lineno}: {module}")
    assert missing == []
