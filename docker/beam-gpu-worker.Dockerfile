# The GPU worker of the pseudo-labeling pipeline: a custom Apache Beam SDK container holding
# CUDA-enabled torch, this project and its offline resources (WordNet, the text model wheel).
#   docker build -f docker/beam-gpu-worker.Dockerfile -t REGISTRY/xpm-beam-gpu:TAG .
#   docker push REGISTRY/xpm-beam-gpu:TAG
# Then pass --sdk_container_image (Dataflow) or --environment_config (Flink, Spark): docs/runners.md.
# The NVIDIA driver comes from the host (Dataflow: install-nvidia-driver in worker_accelerator);
# the torch wheel from PyPI carries its CUDA runtime.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      wordnet-base wordnet-sense-index fontconfig git \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/xpm
COPY . /opt/xpm
# Installs into the system interpreter the Beam boot program starts; XPM_SKIP_APT: done above.
RUN pip install --no-cache-dir -e . \
 && XPM_CACHE_DIR=/opt/xpm-cache python -c "from xpm.resources.wordnet import load_wordnet; load_wordnet()"
ENV XPM_CACHE_DIR=/opt/xpm-cache

# The Beam SDK harness entry point, from the official image of the same Beam version.
COPY --from=apache/beam_python3.11_sdk:2.77.0 /opt/apache/beam /opt/apache/beam
ENTRYPOINT ["/opt/apache/beam/boot"]
