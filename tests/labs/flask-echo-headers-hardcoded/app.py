# The mistake: a hard-coded answer, copied from a curl run and an earlier grading report,
# instead of echoing the headers of the request being answered.
from flask import Flask, jsonify
app = Flask(__name__)


@app.route("/", methods=["GET"])
def echo():
    return jsonify({"headers": {
        "Host": "localhost:6000",
        "User-Agent": "curl/7.88.1",
        "Accept": "*/*",
        "X-Labgrade-Probe": "echo-me-7f3a",
    }})

if __name__ == '__main__':
    app.run(host='0.0.0.0', port=6000)
