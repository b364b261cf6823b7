# The reference application (app/), from Debian's packages only; Swagger UI's
# files come from npm (swagger-ui-dist, the version in app/swagger-ui.version),
# served by the app itself like Debian's Chart.js: the pages need no CDN.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-fastapi python3-uvicorn python3-psycopg \
        python3-psycopg-pool python3-jinja2 python3-jwt python3-cryptography libjs-chart.js npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /srv
COPY app/ app/
RUN cd /tmp && npm pack --silent "swagger-ui-dist@$(cat /srv/app/swagger-ui.version)" \
 && tar -xzf swagger-ui-dist-*.tgz && mkdir -p /srv/app/vendor \
 && mv package /srv/app/vendor/swagger-ui-dist && rm -rf /tmp/*
EXPOSE 8000
CMD ["python3", "-m", "uvicorn", "--factory", "cfrec_app.main:create_app", "--app-dir", "app", \
     "--host", "0.0.0.0", "--port", "8000"]
