"""Provision a Bugsink team, project (fixed id and key) and optional API token.

Run it with the Python of Bugsink's own environment (a venv or the official image), from the folder
that holds ``bugsink_conf.py`` or with ``DJANGO_SETTINGS_MODULE`` pointing at a settings module::

    BUGSINK_PROJECT_KEY=0123456789abcdef0123456789abcdef python provision_bugsink.py

Environment:

``BUGSINK_PROJECT_ID``    integer >= 1, default 1
``BUGSINK_PROJECT_KEY``   32 hexadecimal characters (the DSN's public key), required
``BUGSINK_PROJECT_NAME``  default ``specledger-runtime``
``BUGSINK_TEAM_NAME``     default ``specledger``
``BUGSINK_API_TOKEN``     optional, 40 lowercase hex: a full-access API token with this value
``BUGSINK_MEMBER_EMAIL``  optional: that existing user becomes admin of the team and the project

Because the id and the key are chosen up front, the DSN is known before Bugsink starts; nobody
has to create the project in the UI. The script is idempotent: a second run repairs what differs
and reports ``exists``. Progress goes to stderr, the DSN is the last line on stdout. Exit codes:
0 done, 2 bad input or an unusable environment (no settings, no schema), 1 anything the database
refused.

It uses only the standard library and Bugsink's own models (which are internal, hence the
``bugsink==2.6.*`` pin), so it can be mounted into the official image unchanged.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from dataclasses import dataclass

_KEY_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


class ProvisionError(Exception):
    """A problem the user can fix; carries the exit code to use."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Request:
    """What to provision, read and checked from the environment."""

    project_id: int
    project_key: str
    project_name: str
    team_name: str
    api_token: str | None
    member_email: str | None


def read_request(env: dict[str, str]) -> Request:
    """Read and validate the ``BUGSINK_*`` variables; raise ProvisionError on bad input."""
    raw_id = env.get("BUGSINK_PROJECT_ID", "1").strip() or "1"
    try:
        project_id = int(raw_id)
    except ValueError:
        raise ProvisionError(
            f"BUGSINK_PROJECT_ID must be an integer >= 1, got {raw_id!r}"
        ) from None
    if project_id < 1:
        raise ProvisionError(f"BUGSINK_PROJECT_ID must be an integer >= 1, got {raw_id!r}")

    key = env.get("BUGSINK_PROJECT_KEY", "").strip()
    if not key:
        raise ProvisionError(
            "BUGSINK_PROJECT_KEY is required: 32 hexadecimal characters, e.g. from "
            "`python -c 'import uuid; print(uuid.uuid4().hex)'`"
        )
    if not _KEY_RE.match(key):
        raise ProvisionError(
            f"BUGSINK_PROJECT_KEY must be 32 hexadecimal characters, got {len(key)} characters"
        )

    name = env.get("BUGSINK_PROJECT_NAME", "").strip() or "specledger-runtime"
    team = env.get("BUGSINK_TEAM_NAME", "").strip() or "specledger"
    if len(name) > 255 or len(team) > 255:
        raise ProvisionError(
            "BUGSINK_PROJECT_NAME and BUGSINK_TEAM_NAME must be at most 255 characters"
        )

    token = env.get("BUGSINK_API_TOKEN", "").strip() or None
    if token is not None and not _TOKEN_RE.match(token):
        # The value itself is a secret: say what is wrong without echoing it.
        raise ProvisionError("BUGSINK_API_TOKEN must be 40 lowercase hexadecimal characters")

    email = env.get("BUGSINK_MEMBER_EMAIL", "").strip() or None
    return Request(project_id, key.lower(), name, team, token, email)


def _note(what: str, state: str) -> None:
    print(f"{what}: {state}", file=sys.stderr)


def _setup_django() -> None:
    """Configure Django from ``bugsink_conf`` in the current folder unless told otherwise."""
    # Python puts this script's folder first on sys.path; in this repository that folder also
    # holds stack/bugsink.py, which would shadow Bugsink's own `bugsink` package.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugsink_conf")
    try:
        import django
    except ImportError:
        raise ProvisionError(
            "Django is not importable: run this script with the Python of Bugsink's environment"
        ) from None
    try:
        django.setup()
    except ModuleNotFoundError as exc:
        raise ProvisionError(
            f"cannot load settings module {os.environ['DJANGO_SETTINGS_MODULE']!r} ({exc}); "
            "run from the folder holding bugsink_conf.py or set DJANGO_SETTINGS_MODULE"
        ) from None


def _check_schema() -> None:
    """Fail clearly when migrations have not run yet (otherwise Django reports 'no such table')."""
    from django.db import connection

    try:
        tables = set(connection.introspection.table_names())
    except Exception as exc:  # any driver error: unreachable server, bad credentials, ...
        raise ProvisionError(f"cannot reach Bugsink's database: {exc}") from None
    missing = {"projects_project", "teams_team", "bsmain_authtoken"} - tables
    if missing:
        raise ProvisionError(
            f"Bugsink's database has no {', '.join(sorted(missing))} table: run "
            "`bugsink-manage migrate` first"
        )


def provision(req: Request) -> str:
    """Create or repair team, project, token and membership; return the project's DSN."""
    from bsmain.models import AuthToken
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from projects.models import Project, ProjectMembership, ProjectRole
    from teams.models import Team, TeamMembership, TeamRole

    key = uuid.UUID(hex=req.project_key)
    with transaction.atomic():
        team, created = Team.objects.get_or_create(name=req.team_name)
        _note(f"team {req.team_name!r}", "created" if created else "exists")

        project = Project.objects.filter(pk=req.project_id).first()
        if project is None:
            project = Project(id=req.project_id, name=req.project_name, team=team, sentry_key=key)
            project.save()
            _note(f"project {req.project_id} {req.project_name!r}", "created")
        else:
            changed = []
            if project.sentry_key != key:
                project.sentry_key = key
                changed.append("key")
            if project.team_id != team.pk:
                project.team = team
                changed.append("team")
            if project.is_deleted:
                project.is_deleted = False
                changed.append("undeleted")
            if project.name != req.project_name:
                project.name = req.project_name
                changed.append("name")
            if changed:
                project.save()
            state = "exists" + (f" (repaired: {', '.join(changed)})" if changed else "")
            _note(f"project {req.project_id} {req.project_name!r}", state)

        if connection.vendor == "postgresql":
            # An explicit id does not advance PostgreSQL's serial sequence; without this the next
            # project created through the UI or API collides with ours on the primary key.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('projects_project', 'id'), "
                    "(SELECT MAX(id) FROM projects_project))"
                )

        if req.api_token is not None:
            token = AuthToken.objects.filter(token=req.api_token).first()
            if token is None:
                AuthToken.create_full_access(
                    token=req.api_token, description="specledger provisioning (fixed token)"
                )
                _note("api token", "created")
            else:
                _note("api token", "exists")

        if req.member_email is not None:
            user_model = get_user_model()
            user = (
                user_model.objects.filter(email__iexact=req.member_email).first()
                or user_model.objects.filter(username__iexact=req.member_email).first()
            )
            if user is None:
                raise ProvisionError(
                    f"BUGSINK_MEMBER_EMAIL: no Bugsink user with e-mail {req.member_email!r}; "
                    "create the user first"
                )
            _, t_created = TeamMembership.objects.update_or_create(
                team=team, user=user, defaults={"role": TeamRole.ADMIN, "accepted": True}
            )
            _, p_created = ProjectMembership.objects.update_or_create(
                project=project, user=user, defaults={"role": ProjectRole.ADMIN, "accepted": True}
            )
            _note(
                f"membership of {req.member_email!r}",
                "created" if (t_created or p_created) else "exists",
            )

    return str(project.dsn)


def main() -> int:
    """Entry point: provision from the environment, print the DSN last on stdout."""
    try:
        req = read_request(dict(os.environ))
        _setup_django()
        _check_schema()
        dsn = provision(req)
    except ProvisionError as exc:
        print(f"provision_bugsink: error: {exc}", file=sys.stderr)
        return exc.code
    except Exception as exc:
        # Database refusals (integrity, locking) are environment problems, not bugs to trace.
        print(f"provision_bugsink: database error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(dsn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
