# Multi-stage build: compile in the Rust image, run on slim Debian with only libpq.
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY seeds seeds
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/motcua motcua \
    && mkdir -p /var/lib/motcua/files && chown motcua /var/lib/motcua/files
COPY --from=build /src/target/release/motcua /usr/local/bin/motcua
USER motcua
WORKDIR /var/lib/motcua
ENV MOTCUA_BIND=0.0.0.0:8080 UPLOAD_DIR=/var/lib/motcua/files RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/ready || exit 1
ENTRYPOINT ["motcua"]
CMD ["serve"]
