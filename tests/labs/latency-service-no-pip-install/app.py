import time

from flask import Flask, jsonify

app = Flask(__name__)


def measure():
    """Times a small piece of work and reports it in milliseconds."""
    start = time.perf_counter()
    sum(range(1000))
    return (time.perf_counter() - start) * 1000


@app.route("/latency")
@app.route("/ping")  # the original route, kept as an alias
def latency():
    return jsonify({"latency_ms": round(measure(), 3), "status": "ok"})


if __name__ == "__main__":
    # 0.0.0.0 so docker's port forwarding can reach the app; 8080 is the port inside.
    app.run(host="0.0.0.0", port=8080)
