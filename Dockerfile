# flopex: the exchange (`flopex serve`) and its simulated traders (`flopex bots`).
#   docker build -t flopex .
#   docker run --rm -p 8000:8000 -e FLOPEX_ADMIN_CLIENT_ID=admin \
#       -e FLOPEX_ADMIN_CLIENT_SECRET=change-me flopex
# docker-compose.yml runs both services together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/var/cache/flopex/numba

# An unprivileged user runs everything; /data is the journal directory when journaled.
RUN useradd --create-home --uid 10001 --user-group flopex \
    && mkdir -p /data /var/cache/flopex/numba \
    && chown flopex:flopex /data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY exchange ./exchange
COPY clearing ./clearing
COPY gateway ./gateway
COPY sim ./sim
COPY flopex ./flopex
# Install, then compile the numba matching kernels once, into a cache (NUMBA_CACHE_DIR)
# that the runtime user owns, so the exchange starts without compiling.
RUN pip install . \
    && cd / && rm -rf /src \
    && python -m flopex.warmup \
    && chown -R flopex:flopex /var/cache/flopex

WORKDIR /home/flopex
USER flopex
EXPOSE 8000

# The slim image has no curl: ask /healthz with the standard library.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["flopex", "serve", "--host", "0.0.0.0", "--port", "8000"]
