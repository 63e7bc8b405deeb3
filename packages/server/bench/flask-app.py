"""The tutorial's Flask 2FA app, reduced to its verify step: a peer for `npm run bench:server`.

POST /verify reads the form field `code`, checks it with pyotp against one fixed secret held in memory (no
database, no session), and answers 302: to / when right, back to the form when wrong. Run under gunicorn:
    gunicorn -w 2 -k gthread --threads 1 -b 127.0.0.1:PORT --chdir packages/server/bench flask-app:app
The secret comes from BENCH_FLASK_SECRET (base32), which the bench sets, so it can send the current code.
"""

import os

import pyotp
from flask import Flask, redirect, request

app = Flask(__name__)
totp = pyotp.TOTP(os.environ["BENCH_FLASK_SECRET"])


@app.post("/verify")
def verify():
    if totp.verify(request.form.get("code", ""), valid_window=1):
        return redirect("/", code=302)
    return redirect("/verify?error=1", code=302)
