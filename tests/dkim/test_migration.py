"""An upgraded Modoboa 2.x database keeps its DKIM keys (columns kept, active key rows made)."""

from flask_migrate import upgrade
from sqlalchemy import select, text

from modoboa_flask.blueprints.dkim import services
from modoboa_flask.extensions import db
from modoboa_flask.models import DkimKey, Domain
from tests.conftest import make_app
from tests.migrated import fresh_database_url

MODOBOA_2_COLUMNS = (
    "enable_dkim BOOLEAN DEFAULT FALSE NOT NULL",
    "dkim_key_selector VARCHAR(30) DEFAULT 'modoboa' NOT NULL",
    "dkim_key_length INTEGER",
    "dkim_public_key TEXT NOT NULL",
    "dkim_private_key_path VARCHAR(254) DEFAULT '' NOT NULL",
)


def test_modoboa_2_keys_become_active_keys():
    with fresh_database_url() as url:
        app = make_app(DATABASE_URL=url)
        with app.app_context():
            upgrade(revision="0002_dns")
            with db.engine.begin() as conn:
                for column in MODOBOA_2_COLUMNS:
                    conn.execute(text(f"ALTER TABLE admin_domain ADD COLUMN {column}"))
                conn.execute(
                    text(
                        "INSERT INTO admin_domain (name, quota, default_mailbox_quota, enabled,"
                        " type, creation, last_modification, enable_dkim, dkim_key_selector,"
                        " dkim_key_length, dkim_public_key, dkim_private_key_path) VALUES"
                        " (:name, 0, 0, TRUE, 'domain', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                        " :on, 'mail', 1024, :key, :path)"
                    ),
                    [
                        {"name": "keyed.org", "on": True, "key": "MIIBpublic",
                         "path": "/var/lib/dkim/keyed.org.pem"},
                        {"name": "plain.org", "on": False, "key": "", "path": ""},
                    ],
                )  # fmt: skip
            upgrade()
            keyed = db.session.scalar(select(Domain).where(Domain.name == "keyed.org"))
            (key,) = db.session.scalars(select(DkimKey)).all()
            assert (key.domain_id, key.selector, key.key_length, key.public_key) == (
                keyed.id, "mail", 1024, "MIIBpublic",
            )  # fmt: skip
            assert (key.state, key.published, key.private_key_path) == (
                "active", True, "/var/lib/dkim/keyed.org.pem",
            )  # fmt: skip
            assert services.signing_entries() == [
                ("keyed.org", "mail", "/var/lib/dkim/keyed.org.pem")
            ]
            db.session.remove()
        with app.app_context():
            db.engine.dispose()
