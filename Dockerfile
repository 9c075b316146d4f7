# Kontor's image: the web server (gunicorn), the Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml requirements-production.lock ./
# Exactly the pinned runtime packages, every file's hash checked (make lock writes the lock).
RUN pip install --upgrade pip && pip install --require-hashes -r requirements-production.lock
COPY . .
RUN pip install --no-deps .
RUN python bin/compilemessages.py \
 && DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home kontor && mkdir -p /app/data && chown -R kontor /app/data
USER kontor
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
