"""Configuration defaults. Values come from the environment through `MODOBOA_*` variables."""


class Config:
    """Production defaults; override any key with a `MODOBOA_<KEY>` environment variable."""

    # Empty means "a SQLite file under instance/" (see create_app).
    DATABASE_URL = ""
    # Empty means "generate one on first start and keep it in instance/secret_key".
    SECRET_KEY = ""
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set MODOBOA_SESSION_COOKIE_SECURE=true behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # The remember cookie lives as long as its session may: `core.session_max_age` hours.
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024  # CSV imports up to 64 MB
    API_MAX_CONTENT_LENGTH = 1024 * 1024  # JSON bodies of /api/v1/
    # Largest CSV file the web import takes (bigger ones: `flask import`, which streams).
    IMPORT_MAX_MB = 32
    # Where uploads wait between preview and commit ("" = instance/imports).
    IMPORT_UPLOAD_DIR = ""
    # Enabled plugins: entry-point names (group `modoboa_flask.plugins`) or dotted module paths
    # of packages exposing a `plugin` registration object (see "Writing a plugin" in README.md).
    PLUGINS: list[str] = [
        "modoboa_flask.plugins.limits",
        "modoboa_flask.plugins.relaydomains",
    ]
    # Failed logins allowed per (account, client address) inside LOGIN_THROTTLE_WINDOW seconds;
    # an address gets four times as many (see modoboa_flask/throttle.py).
    LOGIN_THROTTLE_ATTEMPTS = 5
    LOGIN_THROTTLE_WINDOW = 300
    # Reverse proxies in front of the app: their X-Forwarded-For/-Proto entries are trusted.
    # 0 = the client address is the TCP peer and X-Forwarded-* headers are ignored.
    TRUSTED_PROXIES = 0
    # Strict-Transport-Security max-age, sent when SESSION_COOKIE_SECURE is on (0 = never).
    HSTS_MAX_AGE = 365 * 24 * 3600
    # Where generated Postfix maps live, to report on the information page ("" = not configured).
    POSTFIX_MAPS_DIR = ""
    # Restrict selectable password schemes to what `doveadm pw -l` lists when doveadm exists.
    DOVEADM_PATH = "/usr/bin/doveadm"
    # dovecot.conf doveadm reads (handle-mailbox-operations asks it for mail homes); "" = default.
    DOVECOT_CONFIG = ""
    # Mail home of a mailbox (%d domain, %n local part, %u address); match Dovecot's.
    MAIL_HOME_TEMPLATE = "/srv/vmail/%d/%n"
    # DNS servers the DNS health checks ask: comma list of host[:port] ("" = system resolver).
    DNS_RESOLVERS = ""
    # DNSBL zones every MX address is looked up in: comma list ("" = Modoboa's list).
    DNSBL_PROVIDERS = ""
    # DNS queries in flight at once during a check (per domain).
    DNS_CONCURRENCY = 20
    # The relay every mail the application sends goes through (alerts, notifications).
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_TIMEOUT = 30
    # ManageSieve (Settings > Filters): Modoboa logs in as this Dovecot master user with the
    # account as authorisation id; `flask generate-dovecot-conf` writes its passdb file.
    SIEVE_HOST = "127.0.0.1"
    SIEVE_PORT = 4190
    SIEVE_STARTTLS = False
    SIEVE_MASTER_USER = ""
    SIEVE_MASTER_PASSWORD = ""
    # Defaults for parameters not yet set in the database, e.g. {"core.items_per_page": 50}.
    PARAMETER_DEFAULTS: dict = {}
    # /healthz answers 503 while the database's schema is not the code's (`flask db upgrade`).
    HEALTHZ_CHECK_MIGRATIONS = True
    # /metrics (Prometheus): a bearer token, and/or client addresses or networks allowed
    # without one (e.g. ["127.0.0.1", "10.0.0.0/8"]). Neither set: /metrics answers 404.
    METRICS_TOKEN = ""
    METRICS_ALLOW: list[str] = []


class DevelopmentConfig(Config):
    """Local development: debug on."""

    DEBUG = True


class TestConfig(Config):
    """Tests: in-memory SQLite unless the test run passes another URL; CSRF off; no plugins."""

    TESTING = True
    DATABASE_URL = "sqlite://"
    SECRET_KEY = "test-only-secret-key"  # noqa: S105 - tests never touch instance/
    WTF_CSRF_ENABLED = False
    PLUGINS = []
    LOGIN_THROTTLE_ATTEMPTS = 5
    # Cheap hashes keep the suite fast; tests of the rounds parameter set it explicitly.
    PARAMETER_DEFAULTS = {"core.rounds_number": 1000}
    # create_all() databases carry no Alembic revision (tests of /healthz turn it on).
    HEALTHZ_CHECK_MIGRATIONS = False
