# Stand-in for the official bugsink/bugsink image, built when no container registry is reachable.
# It follows Bugsink's own Dockerfile.fromwheel: the pinned Bugsink (here from the project's
# hashed lock, requirements/bugsink.txt, psycopg included) on the Python base, the docker settings
# template as /app/bugsink_conf.py (every setting from the environment), the image's gunicorn
# config, user bugsink (uid 14237), /data, PORT=8000, the same health check and the same command
# chain: check --deploy, migrations, prestart, then gunicorn plus the snappea worker under monofy.
# Left out: mysqlclient (MySQL through DATABASE_URL); the stack uses PostgreSQL.
FROM python:3.11.14-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PORT=8000

WORKDIR /app

COPY bugsink.txt /tmp/bugsink.txt
RUN pip install --no-cache-dir --no-compile --require-hashes --requirement /tmp/bugsink.txt \
    && rm /tmp/bugsink.txt \
    && package=$(python -c 'import bugsink, os; print(os.path.dirname(bugsink.__file__))') \
    && cp "$package/conf_templates/docker.py.template" /app/bugsink_conf.py \
    && cp "$package/gunicorn.docker.conf.py" /app/gunicorn.docker.conf.py

RUN groupadd --gid 14237 bugsink \
    && useradd --uid 14237 --gid 14237 bugsink \
    && mkdir -p /data \
    && chown -R bugsink:bugsink /data

USER bugsink

HEALTHCHECK CMD python -c 'import requests; requests.get("http://localhost:8000/health/ready").raise_for_status()'

CMD [ "monofy", "bugsink-show-version", "&&", "bugsink-manage", "check", "--deploy", "--fail-level", "WARNING", "&&", "bugsink-manage", "migrate", "snappea", "--database=snappea", "&&", "bugsink-manage", "migrate", "&&", "bugsink-manage", "prestart", "&&", "gunicorn", "--config", "gunicorn.docker.conf.py", "--bind=0.0.0.0:$PORT", "--access-logfile", "-", "bugsink.wsgi", "|||", "bugsink-runsnappea" ]
