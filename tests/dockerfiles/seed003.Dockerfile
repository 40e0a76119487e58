# seed 003, as written in the lab
FROM python:3.9-slim

WORKDIR /app

# Copy the requirements file first.
COPY src/requirements.txt .

RUN pip install --no-cache-dir -r requirements.txt

COPY src/ .

EXPOSE 8088

CMD ["python", "server.py"]
