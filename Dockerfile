# sup's container image: supd as PID 1 (ENTRYPOINT), supctl for health checks and
# operators, libsupagent for workers built on top of this image.
#
#   podman build --format docker -t sup .     (or: docker build -t sup .)
#   podman run --name sup sup                 # runs /etc/sup/sup.toml (deploy/container/sup.toml)
#   podman run sup -c /etc/sup/app.toml -- /usr/bin/app   # config + main program
#
# The build stage uses the project's own scripts/setup.sh and scripts/build.sh, so the
# image is built exactly as a developer's machine and CI are. See docs/container.md.
ARG BASE=debian:12

FROM ${BASE} AS build
WORKDIR /src
# setup.sh alone first: its package layer stays cached while the sources change.
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh && rm -rf /var/lib/apt/lists/*
# Marks the layers that change with the sources, so that the container test can prune
# those a newer build replaced (podman image prune --filter label=org.sup.image).
LABEL org.sup.image=build
ENV CCACHE_DIR=/ccache
COPY . .
# No tests; the RelWithDebInfo flags CI tests, without -g (the installed binaries are
# stripped, and debug info is a third of the compile time). ccache (from setup.sh) keeps
# its cache in a build cache mount: a rebuild after a source change recompiles only what
# changed. Then the Debian packages that own the shared libraries the installed binaries
# load are listed for the runtime stage, which installs exactly those: a new library
# dependency cannot be forgotten here.
RUN --mount=type=cache,id=sup-ccache,target=/ccache \
    ./scripts/build.sh -DSUP_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
 && DESTDIR=/out cmake --install build --prefix /usr/local --strip \
 && rm -rf build \
 && mkdir -p /pkgs \
 && for f in /out/usr/local/bin/* /out/usr/local/lib/*.so; do ldd "$f"; done \
    | awk '$2 == "=>" && $3 ~ /^\// { print $1 }' | sort -u \
    | while read -r so; do dpkg -S "*/$so" | sed 's/[:,].*//'; done \
    | sort -u >/pkgs/runtime-packages \
 && test -s /pkgs/runtime-packages

FROM ${BASE}
LABEL org.sup.image=runtime
# The package list alone first: this layer and the apt one stay cached while it is the same.
COPY --from=build /pkgs/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive xargs -a /tmp/runtime-packages \
      apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
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
# supctl status: exit 0 when every wanted-up program is RUNNING (and healthy), 3 when one
# is not, 4 when supd does not answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD supctl status || exit 1
ENTRYPOINT ["supd"]
