# sup's container image: supd as PID 1 (ENTRYPOINT), supctl for health checks and
# operators, libsupagent for workers built on top of this image.
#
#   podman build -t sup .            (or: docker build -t sup .)
#   podman run --name sup sup        # runs /etc/sup/sup.toml (deploy/container/sup.toml)
#   podman run sup -c /etc/sup/app.toml -- /usr/bin/app   # config + main program
#
# The build stage uses the project's own scripts/setup.sh and scripts/build.sh, so the
# image is built exactly as a developer's machine is. See docs/container.md.
ARG BASE=debian:12

FROM ${BASE} AS build
WORKDIR /src
# setup.sh alone first: its package layer stays cached while the sources change.
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN ./scripts/build.sh -DSUP_BUILD_TESTS=OFF \
 && DESTDIR=/out cmake --install build --prefix /usr/local --strip

FROM ${BASE}
# The runtime libraries supd and supctl link (checked with ldd on the build output):
# libuv, spdlog and the fmt it uses; libstdc++ and libgcc_s are part of the base.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libuv1 libspdlog1.10 libfmt9 libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/ /usr/local/
COPY deploy/container/sup.toml /etc/sup/sup.toml
# Fails the build if a runtime library is missing or the default config is invalid.
RUN ldconfig && mkdir -p /var/log/sup \
 && ! ldd /usr/local/bin/supd /usr/local/bin/supctl | grep 'not found' \
 && supd --check -c /etc/sup/sup.toml
# supd's graceful shutdown (SPEC §7) starts on SIGTERM; give the runtime a stop grace
# period above the config's shutdown_timeout (docker/podman stop -t, Kubernetes
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD supctl status || exit 1
ENTRYPOINT ["supd"]
