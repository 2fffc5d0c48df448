# StreamSMOTE release binary on Debian bookworm, with libzmq and libnats (the NATS C client,
# for nats:// endpoints: JetStream input and output, --state in a KV bucket).
# Build: docker build -t streamsmote .    Run: docker run --rm streamsmote --help
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libzmq3-dev libnats-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifest first so the dependency fetch is cached apart from source edits.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
RUN swift build -c release --product streamsmote --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/streamsmote" /usr/local/bin/streamsmote

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libzmq5 libnats3.4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/streamsmote --create-home streamsmote
COPY --from=build /usr/local/bin/streamsmote /usr/local/bin/streamsmote
USER streamsmote
WORKDIR /var/lib/streamsmote
# 5556: synthetic (and forwarded real) events; 9100: Prometheus metrics.
EXPOSE 5556 9100
STOPSIGNAL SIGTERM
ENTRYPOINT ["streamsmote"]
CMD ["--help"]
