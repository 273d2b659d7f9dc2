# syntax=docker/dockerfile:1
# The portal as a container: gunicorn serving Django with static files from whitenoise.
# Configuration comes from the environment (see .env.example); PostgreSQL via DATABASE_URL.

FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements/prod.lock requirements/prod.lock
RUN python -m venv /venv && /venv/bin/pip install --require-virtualenv -r requirements/prod.lock
COPY manage.py ./
COPY portal portal
COPY attributes attributes
COPY emulator emulator
COPY templates templates
COPY static static
# collectstatic only needs settings that parse; these values never reach the final image.
RUN DEBUG=false SECRET_KEY=collectstatic-only-build-time-placeholder-value \
    PORTAL_AUDIT_KEY=collectstatic-only-build-time-placeholder-value \
    ALLOWED_HOSTS=build PORTAL_CLIENT_ID=build PORTAL_CLIENT_SECRET=build \
    /venv/bin/python manage.py collectstatic --noinput

FROM python:3.13-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH \
    DEBUG=false GUNICORN_WORKERS=2 GUNICORN_THREADS=8 GUNICORN_TIMEOUT=120 PORT=8000
RUN groupadd --system portal && useradd --system --gid portal --home-dir /app --no-create-home portal
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build --chown=portal:portal /app /app
USER portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "portal.healthcheck"]
# portal/gunicorn_config.py reads GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT and
# the rest of its settings (DEPLOYMENT.md, "gunicorn settings").
CMD ["sh", "-c", "exec gunicorn portal.wsgi:application --config python:portal.gunicorn_config --bind 0.0.0.0:${PORT} --forwarded-allow-ips '*'"]
