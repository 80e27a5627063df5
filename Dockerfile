# The pmsbot image: one image for every role of the Procfile (web, worker, clock), chosen by the command:
#   docker run IMAGE web | worker | clock | run (all three, SQLite) | migrate (pmsbot db upgrade) | any pmsbot command
# Slim (the runtime stage has the virtualenv and nothing to build with), runs as an unprivileged user, and
# checks /healthz. Build: docker build -t pmsbot .   (BASE_IMAGE: another Python 3.11 Debian image)
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/pmsbot
COPY pyproject.toml README.md LICENSE /src/
COPY bot /src/bot
COPY commands /src/commands
COPY notifiers /src/notifiers
COPY templates /src/templates
RUN /opt/pmsbot/bin/pip install /src && rm -rf /src

FROM ${BASE_IMAGE}
# The configuration is mounted where PMSBOT_CONFIG says (compose and k8s: /etc/pmsbot/pmsbot.yaml); without
# one, the built-in defaults (./pmsbot.yaml absent) and `pmsbot run` says what is missing.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/pmsbot --create-home --shell /usr/sbin/nologin pmsbot
COPY --from=build /opt/pmsbot /opt/pmsbot
COPY deploy/docker-entrypoint.sh /usr/local/bin/pmsbot-entrypoint
ENV PATH=/opt/pmsbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:////var/lib/pmsbot/pmsbot.db
USER 10001:10001
WORKDIR /var/lib/pmsbot
VOLUME /var/lib/pmsbot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["pmsbot-entrypoint", "healthcheck"]
ENTRYPOINT ["pmsbot-entrypoint"]
CMD ["run"]
