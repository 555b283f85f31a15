# lore in a container, for GitLab CI and other runners: the static (musl) binary on an
# empty base. Build it from a checkout:
#   docker build -t lore .
#   docker run --rm -v "$PWD:/catalog" -w /catalog lore validate
# The build stage compiles with --locked; the image holds the binary and CA roots only.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --locked --release && cp target/release/lore /lore

FROM alpine:3 AS certs
RUN apk add --no-cache ca-certificates

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /lore /usr/local/bin/lore
WORKDIR /catalog
ENTRYPOINT ["/usr/local/bin/lore"]
CMD ["validate"]
