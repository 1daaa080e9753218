# syntax=docker/dockerfile:1
# TaskHub server image: the web app (when web/ exists) built by node, the server published by the .NET
# SDK, both copied into the small ASP.NET Core runtime image. Configuration comes from environment
# variables only (Section__Key, e.g. ConnectionStrings__MySql, Jwt__SigningKey); nothing secret is baked in.
#
#   docker build -t taskhub .
#   docker run --rm -e Jwt__SigningKey=... -p 8080:8080 taskhub            # serve (SQLite under /app/data)
#   docker run --rm -e ConnectionStrings__MySql=... taskhub migrate        # apply the schema once and exit

ARG DOTNET_VERSION=10.0
ARG NODE_VERSION=20

# ---- 1. web app -------------------------------------------------------------------------------
# `we[b]` is a wildcard, so this COPY also works on a branch without web/: it then copies only
# TaskHub.sln and the build is skipped. web/'s `npm run build` writes ../src/TaskHub.Server/wwwroot.
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /src/web
COPY TaskHub.sln we[b] ./
RUN mkdir -p /src/src/TaskHub.Server/wwwroot \
 && if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; else echo "no web/ app: serving the API only"; fi

# ---- 2. server --------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# The image's architecture (set by BuildKit): the server is compiled ahead of time (ReadyToRun) for it, so a
# replica that starts (a deploy, a restart during a reconnect storm) serves its first requests without
# waiting for the JIT and spends less CPU getting there (bench/README.md, "ReadyToRun").
ARG TARGETARCH=amd64
WORKDIR /src
# Restore first, from the project file alone, so the package layer is cached across source edits.
COPY src/TaskHub.Server/TaskHub.Server.csproj src/TaskHub.Server/
RUN RID="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
 && dotnet restore src/TaskHub.Server/TaskHub.Server.csproj -r "$RID" -p:PublishReadyToRun=true
COPY src/TaskHub.Server/ src/TaskHub.Server/
COPY --from=web /src/src/TaskHub.Server/wwwroot/ src/TaskHub.Server/wwwroot/
RUN RID="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
 && dotnet publish src/TaskHub.Server/TaskHub.Server.csproj --no-restore -c Release -r "$RID" --self-contained false \
      -p:PublishReadyToRun=true -o /app/publish -p:UseAppHost=false

# ---- 3. runtime -------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=1 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY --from=build /app/publish/ ./
# data/ is where the embedded SQLite mode writes; the only writable path the app needs.
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
# The runtime image ships a non-root `app` user (uid in $APP_UID).
USER $APP_UID
EXPOSE 8080
# The aspnet image has no curl or wget. Rather than installing one (an apt layer, more packages to
# patch), the check uses bash, which the image has: an HTTP/1.0 GET /healthz over bash's /dev/tcp,
# healthy only on a "200" status line. No extra packages, and it starts in milliseconds (a `dotnet`
# helper would start a second runtime every interval).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${ASPNETCORE_HTTP_PORTS%%[;,]*} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# Exec form: dotnet is PID 1 and gets SIGTERM directly (graceful shutdown). Arguments pass through,
# so `docker run taskhub migrate` runs the one-shot schema migration and exits.
ENTRYPOINT ["dotnet", "TaskHub.Server.dll"]
