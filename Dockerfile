# The app image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Run from the source tree in /app (templates/ and static/ live beside the packages).
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# Optional extras, e.g. `--build-arg EXTRAS=embeddings` for sentence-embedding reason themes.
ARG EXTRAS=""

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY alignment_forum/__init__.py alignment_forum/__init__.py
COPY cruxes/__init__.py cruxes/__init__.py
RUN pip install ".${EXTRAS:+[$EXTRAS]}"

# The source stays owned by root: the app user can read it, not change it.
COPY . .
# Reinstall the project itself (not its dependencies) from the full tree.
RUN pip install --no-deps --force-reinstall . \
    && chmod +x scripts/* \
    && rm -rf build ./*.egg-info \
    && mkdir -p "$STATIC_ROOT" && chown app:app "$STATIC_ROOT"

USER app

# Collected at build time with throwaway values: the real secret comes from the env file.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0

EXPOSE 8000
CMD ["scripts/web-start"]
