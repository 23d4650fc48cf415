"""WSGI entry point: `flask` finds `app` here; gunicorn serves `app:app`."""

from modoboa_flask import create_app

app = create_app()
