# Stand-in for the official Python image the runtime's Dockerfile starts FROM, built when no
# container registry is reachable. Debian bookworm's own Python 3.11 (the same minor version the
# locks are resolved for), made to look like the official image where our Dockerfiles rely on it:
# `python` and `pip` first on PATH under /usr/local, and pip free to install there (a venv at
# /usr/local rather than Debian's externally managed system Python).
FROM specledger-standin/debian:bookworm

ENV LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

# The host's own additional CAs (empty on most hosts; see LOCAL_CAS in docker/standins.py), in
# place before ca-certificates is installed so that its set-up includes them; pip is told to use
# the system store rather than its bundled one.
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /usr/local \
    && printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > /etc/pip.conf \
    && /usr/local/bin/python --version

CMD ["python3"]
