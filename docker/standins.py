"""Make every image docker/docker-compose.yaml needs present in the local Docker engine.

For each image the stack names (a service's ``image`` when it has no ``build``, and the ``FROM``
images of the Dockerfiles it builds), in this order:

1. try ``docker pull`` (with a timeout): where a registry is reachable the real image is used,
   and it replaces a stand-in left from an earlier offline run;
2. if the pull fails and the tag is present locally (real, or a stand-in whose recipe has not
   changed), keep it;
3. otherwise build a **stand-in with the same tag** from a Debian bookworm root made by
   ``debootstrap --variant=minbase`` (imported as ``specledger-standin/debian:bookworm``), Debian
   packages and PyPI. The recipes are in docker/standins/.

A stand-in carries the label ``org.specledger.standin=true`` (plus ``…standin.for`` and the
recipe's hash); the real images do not. To see which one runs::

    docker image inspect --format '{{ index .Config.Labels "org.specledger.standin" }}' postgres:15.18-bookworm

prints ``true`` for a stand-in and ``<no value>`` for the official image.

Usage: ``python docker/standins.py [--compose-file F] [--pull-timeout S] [--offline]``.
Exit codes: 0 every image present, 2 an image could neither be pulled nor stood in for, or
Docker/debootstrap is unusable. Uses the standard library and PyYAML only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
RECIPES = REPO_ROOT / "docker" / "standins"
COMPOSE_FILE = REPO_ROOT / "docker" / "docker-compose.yaml"

LABEL = "org.specledger.standin"
BASE_TAG = "specledger-standin/debian:bookworm"
SUITE = "bookworm"
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
# Line-anchored and without nested quantifiers: linear time on any Dockerfile.
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)


class StandinError(Exception):
    """Something the user has to fix (no engine, no debootstrap, an image with no recipe)."""


@dataclass(frozen=True)
class Recipe:
    """How to build the stand-in for one image repository."""

    dockerfile: str
    files: tuple[tuple[Path, str], ...]  # (source, name in the build context)

    def digest(self) -> str:
        """A hash of everything the build reads; a changed recipe makes the stand-in stale."""
        sha = hashlib.sha256((RECIPES / self.dockerfile).read_bytes())
        for source, name in self.files:
            sha.update(name.encode())
            sha.update(source.read_bytes())
        return sha.hexdigest()[:16]


# CA certificates the host added to its own trust store (Debian's update-ca-certificates reads
# them from here). A host behind a TLS-inspecting proxy reaches PyPI only because it trusts that
# proxy's CA; the Python stand-in gets the same certificates so that pip inside builds reaches
# PyPI the way the host does. Public certificates only, never keys.
LOCAL_CAS = tuple(
    (path, f"ca-certificates/{path.name}")
    for path in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    if path.is_file()
)

# Keyed by image repository (the tag without its version); the stand-in keeps the full tag.
RECIPES_BY_REPOSITORY = {
    "python": Recipe("python.Dockerfile", LOCAL_CAS),
    "postgres": Recipe("postgres.Dockerfile", ((RECIPES / "postgres-entrypoint.sh", "postgres-entrypoint.sh"),)),
    "bugsink/bugsink": Recipe("bugsink.Dockerfile", ((REPO_ROOT / "requirements" / "bugsink.txt", "bugsink.txt"),)),
}


def log(message: str) -> None:
    """Progress on stderr, prefixed so it stands out in make's output."""
    print(f"standins: {message}", file=sys.stderr, flush=True)


def docker(*args: str, timeout: float | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run the docker client; never raises on a non-zero exit."""
    return subprocess.run(
        ["docker", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def repository(tag: str) -> str:
    """``postgres:15`` -> ``postgres``; ``docker.io/library/python:3`` -> ``python``."""
    name = tag.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def stack_images(compose_file: Path) -> list[str]:
    """The images the compose file pulls, FROM images of what it builds first (build order)."""
    data = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    pulled: list[str] = []
    bases: list[str] = []
    for name, service in (data.get("services") or {}).items():
        build = service.get("build")
        if build is None:
            if "image" not in service:
                raise StandinError(f"{compose_file}: service {name} has neither image nor build")
            pulled.append(str(service["image"]))
            continue
        context = compose_file.parent / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
        text = dockerfile.read_text(encoding="utf-8")
        stages: set[str] = set()
        for match in _FROM.finditer(text):
            image = match.group(1)
            if image not in stages:
                bases.append(image)
            line_end = text.find("\n", match.end())
            rest = text[match.end() : line_end if line_end >= 0 else None].split()
            if len(rest) >= 2 and rest[0].lower() == "as":
                stages.add(rest[1])
    ordered: list[str] = []
    for image in [*bases, *pulled]:
        if image not in ordered:
            ordered.append(image)
    return ordered


def labels(tag: str) -> dict[str, str] | None:
    """The image's labels, or None when the tag is not present locally."""
    result = docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag)
    if result.returncode != 0:
        return None
    parsed = json.loads(result.stdout.strip() or "null")
    return dict(parsed or {})


def try_pull(tag: str, timeout: float) -> bool:
    """Pull the real image; False when no registry answers (or it takes longer than timeout)."""
    started = time.monotonic()
    try:
        result = docker("pull", "--quiet", tag, timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"{tag}: pull gave no answer within {timeout:.0f} s")
        return False
    if result.returncode == 0:
        log(f"{tag}: pulled the official image in {time.monotonic() - started:.1f} s")
        return True
    reason = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
    log(f"{tag}: cannot be pulled ({reason})")
    return False


def run_root(argv: Sequence[str]) -> None:
    """Run a command as root (directly, or through password-less sudo)."""
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*prefix, *argv], check=True)


def build_base() -> None:
    """debootstrap a minimal bookworm root and import it as BASE_TAG (about 30 s)."""
    if shutil.which("debootstrap") is None and not Path("/usr/sbin/debootstrap").exists():
        raise StandinError("debootstrap is not installed (make docker-up installs it from Debian)")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="specledger-debootstrap-"))
    root = work / "root"
    try:
        log(f"{BASE_TAG}: debootstrap --variant=minbase {SUITE} from {MIRROR}")
        run_root(["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR])
        sources = (
            f"deb {MIRROR} {SUITE} main\n"
            f"deb {MIRROR} {SUITE}-updates main\n"
            f"deb {SECURITY_MIRROR} {SUITE}-security main\n"
        )
        # Written through a root shell: the tree belongs to root.
        run_root(["sh", "-c", f"printf '%s' '{sources}' > {root}/etc/apt/sources.list"])
        # Keep the image small: downloaded packages and package lists are not needed at run time.
        run_root(["sh", "-c", f"rm -rf {root}/var/cache/apt/archives/*.deb {root}/var/lib/apt/lists/*"])
        tar = subprocess.Popen(
            [*([] if os.geteuid() == 0 else ["sudo", "-n"]), "tar", "--numeric-owner", "-C", str(root), "-c", "."],
            stdout=subprocess.PIPE,
        )
        imported = subprocess.run(
            [
                "docker", "import",
                "--change", f"LABEL {LABEL}=true",
                "--change", f"LABEL {LABEL}.for=debian:{SUITE}",
                "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--change", 'CMD ["bash"]',
                "-", BASE_TAG,
            ],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise StandinError(f"{BASE_TAG}: import failed: {imported.stderr.strip()}")
    finally:
        run_root(["rm", "-rf", str(work)])
    log(f"{BASE_TAG}: built in {time.monotonic() - started:.1f} s")


def build_standin(tag: str, recipe: Recipe) -> None:
    """Build the stand-in for ``tag`` from its recipe, in a context holding only what it reads."""
    if labels(BASE_TAG) is None:
        build_base()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="specledger-standin-") as context:
        shutil.copy(RECIPES / recipe.dockerfile, Path(context) / "Dockerfile")
        (Path(context) / "ca-certificates").mkdir()
        for source, name in recipe.files:
            shutil.copy(source, Path(context) / name)
        log(f"{tag}: building the stand-in from docker/standins/{recipe.dockerfile}")
        result = subprocess.run(
            [
                "docker", "build", "--quiet", "--force-rm",
                "--label", f"{LABEL}=true",
                "--label", f"{LABEL}.for={tag}",
                "--label", f"{LABEL}.recipe={recipe.digest()}",
                "--tag", tag,
                context,
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )
    if result.returncode != 0:
        raise StandinError(f"{tag}: the stand-in build failed:\n{result.stdout}{result.stderr}")
    log(f"{tag}: stand-in built in {time.monotonic() - started:.1f} s")


def ensure(tag: str, pull_timeout: float, offline: bool) -> str:
    """Make ``tag`` present; return what is there now: ``official`` or ``stand-in``."""
    if not offline and try_pull(tag, pull_timeout):
        return "official"
    present = labels(tag)
    recipe = RECIPES_BY_REPOSITORY.get(repository(tag))
    if present is not None and present.get(LABEL) != "true":
        return "official"
    if recipe is None:
        raise StandinError(
            f"{tag}: cannot be pulled and there is no stand-in recipe for {repository(tag)!r} in docker/standins/"
        )
    if present is not None and present.get(f"{LABEL}.recipe") == recipe.digest():
        log(f"{tag}: stand-in already built (recipe {recipe.digest()})")
        return "stand-in"
    build_standin(tag, recipe)
    return "stand-in"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--compose-file", type=Path, default=COMPOSE_FILE)
    parser.add_argument(
        "--pull-timeout",
        type=float,
        default=float(os.environ.get("STANDIN_PULL_TIMEOUT", "60")),
        help="seconds one pull may take before the registry counts as unreachable (default 60)",
    )
    parser.add_argument("--offline", action="store_true", help="do not try to pull; build what is missing")
    args = parser.parse_args(argv)
    if shutil.which("docker") is None:
        print("standins: the docker client is not installed (make docker-up installs it)", file=sys.stderr)
        return 2
    if docker("version", "--format", "{{.Server.Version}}").returncode != 0:
        print("standins: no Docker engine answers on the standard socket (make docker-up starts one)", file=sys.stderr)
        return 2
    try:
        images = stack_images(args.compose_file)
        for tag in images:
            kind = ensure(tag, args.pull_timeout, args.offline)
            print(f"{tag}\t{kind}")
    except (StandinError, subprocess.CalledProcessError, OSError, yaml.YAMLError) as exc:
        print(f"standins: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
