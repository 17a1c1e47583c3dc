# convplan HTTP service.
#
#   docker build -t convplan .
#   docker run --rm -p 8000:8000 -e CONVPLAN_CORS_ORIGINS=https://tool.example convplan
#
# Scaling out: the service is stateless (no sessions, no cache shared between
# requests, no disk writes), so scale by running more replicas behind a load
# balancer, each container running ONE uvicorn process (no --workers): the
# orchestrator then sees, restarts and limits every process, and CPU requests
# map to replicas one to one. Behind a proxy, set FORWARDED_ALLOW_IPS (read by
# uvicorn) to the proxy's address so client addresses in logs are right.
# Limits and CORS are CONVPLAN_* variables (see GET /v1/limits).

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the package and its pinned dependencies into a venv ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The constraints file pins every dependency, so an image built later gets
# the same versions (and serves the same OpenAPI document).
COPY constraints.txt pyproject.toml README.md ./
COPY service ./service
RUN pip install -c constraints.txt .

# --- runtime: the venv only, no sources or build tools ---------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/venv /opt/venv
# A numeric, unprivileged user: Kubernetes' runAsNonRoot can verify it.
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin convplan
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4).status == 200 else 1)"]
CMD ["convplan", "serve", "--host", "0.0.0.0", "--port", "8000"]
