# The mistake: the app listens on 127.0.0.1 only, so the published port cannot reach it.
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from the Nautilus python app!\n"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8088)
