# Multi-stage build of the `portico` binary. Templates and static files are embedded in it.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p portico \
 && install -m 0755 target/release/portico /usr/local/bin/portico

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin portico \
 && mkdir -p /data && chown portico:portico /data
COPY --from=build /usr/local/bin/portico /usr/local/bin/portico
USER portico
ENV PORTICO_DATA_DIR=/data \
    PORTICO_BIND=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["portico"]
CMD ["serve"]
