"""docker/Dockerfile and docker/requirements.txt: the runtime image, checked without building it.

Also the locks every install uses (requirements/, made by ``make lock``): the image's requirements
must be the runtime extra's share of the main lock, pin for pin and hash for hash, and the locks
must satisfy what pyproject.toml and requirements/bugsink.in ask for.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO_ROOT / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
REQUIREMENTS = DOCKER_DIR / "requirements.txt"
LOCK = REPO_ROOT / "requirements" / "specledger.txt"
BUGSINK_LOCK = REPO_ROOT / "requirements" / "bugsink.txt"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The image's top-level requirements: the runtime extra. requirements.txt pins these and
# everything they pull in.
TOP_LEVEL = tuple(Requirement(raw).name for raw in PYPROJECT["project"]["optional-dependencies"]["runtime"])


@dataclass(frozen=True)
class Pin:
    """One entry of a hashed lock: ``name==version ; marker --hash=... --hash=...``."""

    version: str
    hashes: frozenset[str]
    requirement: Requirement

    def applies_here(self) -> bool:
        """Whether pip installs this entry on this interpreter (its marker, if any, holds)."""
        return self.requirement.marker is None or self.requirement.marker.evaluate()


def _lock(path: Path) -> dict[str, Pin]:
    """Parse a lock written by ``uv pip compile --generate-hashes``; every entry must be hashed."""
    pins: dict[str, Pin] = {}
    text = path.read_text(encoding="utf-8")
    # Continuation lines belong to the entry above; the line number is the entry's first line.
    entries: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if entries and entries[-1][1].endswith("\\"):
            entries[-1] = (entries[-1][0], entries[-1][1][:-1] + " " + line)
        elif line:
            entries.append((number, line))
    for number, entry in entries:
        where = f"{path.parent.name}/{path.name}:{number}"
        spec, *options = re.split(r"\s+(?=--)", entry.strip())
        hashes = frozenset(o.removeprefix("--hash=") for o in options if o.startswith("--hash=sha256:"))
        assert len(hashes) == len(options) and hashes, f"{where}: expected only sha256 hashes: {entry!r}"
        requirement = Requirement(spec)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==" and "*" not in specifier.version, f"{where}: not an exact pin"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{where}: {name} pinned twice"
        pins[name] = Pin(specifier.version, hashes, requirement)
    return pins


def _pins() -> dict[str, str]:
    """The image's pins: distribution name -> version."""
    return {name: pin.version for name, pin in _lock(REQUIREMENTS).items()}


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
    runtime = yaml.safe_load((DOCKER_DIR / "docker-compose.yaml").read_text())["services"]["runtime"]
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


def test_dockerfile_installs_the_image_requirements_with_hash_checking() -> None:
    instructions = _instructions()
    copies = [args.split() for keyword, args in instructions if keyword == "COPY"]
    assert ["docker/requirements.txt", "/tmp/requirements.txt"] in copies
    installs = [args for keyword, args in instructions if keyword == "RUN" and "pip install" in args]
    assert len(installs) == 1, installs
    assert "--require-hashes" in installs[0].split()
    assert "--requirement /tmp/requirements.txt" in installs[0]


def test_image_requirements_are_the_runtime_share_of_the_lock() -> None:
    lock, image = _lock(LOCK), _lock(REQUIREMENTS)
    for name, pin in image.items():
        assert name in lock, f"{REQUIREMENTS}: {name} is not in {LOCK} (run `make lock`)"
        assert (pin.version, pin.hashes) == (lock[name].version, lock[name].hashes), (
            f"{REQUIREMENTS}: {name} differs from {LOCK} (run `make lock`)"
        )
    # Exactly the runtime's closure on this platform: nothing missing, nothing of the test tools.
    # The venv is installed from the same lock (see the next test), so its metadata is the lock's.
    here = {name for name, pin in image.items() if pin.applies_here()}
    closure = _dependency_closure(TOP_LEVEL)
    assert here == closure, f"missing: {sorted(closure - here)}, not needed: {sorted(here - closure)}"


def test_the_venv_runs_what_the_lock_pins() -> None:
    stale = []
    for name, pin in _lock(LOCK).items():
        if not pin.applies_here():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "nothing"
        if installed != pin.version:
            stale.append(f"{name}: lock {pin.version}, venv {installed}")
    assert stale == [], "the venv was not installed from the lock (run `make venv`)"


def _assert_satisfied(lock_path: Path, wanted: list[str]) -> None:
    pins = _lock(lock_path)
    for raw in wanted:
        requirement = Requirement(raw)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock_path}: {raw!r} has no pin (run `make lock`)"
        assert requirement.specifier.contains(pins[name].version, prereleases=True), (
            f"{lock_path}: {name}=={pins[name].version} does not satisfy {raw!r} (run `make lock`)"
        )


def test_the_lock_satisfies_pyproject() -> None:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    _assert_satisfied(LOCK, [*project["dependencies"], *extras["runtime"], *extras["test"]])
    # The build backend too: the venv builds the package without isolation, from the lock.
    build_in = (REPO_ROOT / "requirements" / "build.in").read_text(encoding="utf-8")
    build = [line.split("#", 1)[0].strip() for line in build_in.splitlines()]
    assert [line for line in build if line] == PYPROJECT["build-system"]["requires"]
    _assert_satisfied(LOCK, PYPROJECT["build-system"]["requires"])


def test_the_bugsink_lock_satisfies_its_input_and_the_compose_image() -> None:
    wanted_text = (REPO_ROOT / "requirements" / "bugsink.in").read_text(encoding="utf-8")
    wanted = [line.split("#", 1)[0].strip() for line in wanted_text.splitlines()]
    _assert_satisfied(BUGSINK_LOCK, [line for line in wanted if line])
    # psycopg[binary]: the extra's compiled driver is pinned too, at psycopg's version.
    pins = _lock(BUGSINK_LOCK)
    assert pins["psycopg-binary"].version == pins["psycopg"].version
    # The containerised stack runs the release the native tests run.
    compose = yaml.safe_load((DOCKER_DIR / "docker-compose.yaml").read_text())
    assert compose["services"]["bugsink"]["image"] == f"bugsink/bugsink:{_lock(BUGSINK_LOCK)['bugsink'].version}"


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
