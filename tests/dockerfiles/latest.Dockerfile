FROM python:latest
COPY . /app
RUN pip3 install flask && \
    pip3 install --no-cache-dir requests
ENTRYPOINT python /app/app.py
