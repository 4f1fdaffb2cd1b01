# Stand-in for the official `postgres` image, built when no container registry is reachable:
# Debian bookworm's PostgreSQL 15 behind the official image's interface: POSTGRES_PASSWORD /
# POSTGRES_USER / POSTGRES_DB (and POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD) read on the
# first start of an empty data directory, PGDATA=/var/lib/postgresql/data as the volume, the
# server binaries (pg_isready among them) on PATH, uid 999 as the official image uses, SIGINT to
# stop (a fast shutdown).
FROM specledger-standin/debian:bookworm

# The same uid/gid as the official image, so a data volume is interchangeable between the two.
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres \
    && mkdir -p /etc/postgresql-common \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confold postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample \
    && install -d -o postgres -g postgres -m 3777 /var/run/postgresql \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data

ENV LANG=C.UTF-8 \
    PG_MAJOR=15 \
    PGDATA=/var/lib/postgresql/data \
    PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
