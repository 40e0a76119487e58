ARG PY=3.11
FROM python:${PY}-slim AS build
RUN python -m pip install --no-cache-dir build
FROM build
ADD https://example.invalid/x.tar.gz /x
ADD app.tar.gz /srv/
WORKDIR $HOME/app
CMD ["python"]
