# The worker and the command line, in one image.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY dunning dunning
COPY workflows workflows
COPY activities activities
COPY sandbox sandbox
COPY cli cli
COPY webhooks webhooks
COPY codec codec
COPY devstack devstack
COPY ledger ledger
COPY worker.py starter.py serving.py ./
RUN pip install --no-cache-dir . && useradd --system dunning
USER dunning
CMD ["python", "worker.py"]
