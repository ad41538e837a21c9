# Gatehouse container image: `docker build -t gatehouse .`
#
# Two stages: a Go toolchain builds the binary with cgo (mattn/go-sqlite3
# needs it, so SQLite keeps working in the image), and a small glibc-based
# runtime (debian:bookworm-slim, the same Debian release as the builder, so
# the binary's glibc matches) runs it as an unprivileged user. Templates and
# static files are embedded in the binary.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Dependencies first, so that source changes reuse the module cache layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/gatehouse ./cmd/gatehouse

FROM debian:bookworm-slim
# ca-certificates: upstream identity providers, SMTP and PostgreSQL over TLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 gatehouse \
 && useradd --system --uid 10001 --gid gatehouse --home-dir /var/lib/gatehouse --create-home --shell /usr/sbin/nologin gatehouse
COPY --from=build /out/gatehouse /usr/local/bin/gatehouse
USER gatehouse:gatehouse
# The SQLite database, its dev secret and file-driver mail land here when
# used; with PostgreSQL the node keeps no state of its own.
WORKDIR /var/lib/gatehouse
VOLUME ["/var/lib/gatehouse"]
ENV GATEHOUSE_LISTEN=0.0.0.0:8080
EXPOSE 8080
# Ready when /readyz answers 200 (database reachable, keys loaded); the
# check reads only the listen address and opens no database.
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/gatehouse", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/gatehouse"]
CMD ["serve"]
