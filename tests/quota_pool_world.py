"""A limited domain for the quota pool tests of the pages, the API and the import."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Mailbox
from tests.factories import make_domain, make_mailbox


def quotas(app, domain_id):
    """{local part: (quota, use_domain_quota)} of the mailboxes of *domain_id*."""
    with app.app_context():
        rows = db.session.execute(
            select(Mailbox.address, Mailbox.quota, Mailbox.use_domain_quota)
            .where(Mailbox.domain_id == domain_id)
            .order_by(Mailbox.address)
        )
        return {address: (quota, follows) for address, quota, follows in rows}


def make_pool(app):
    """pool.com: 1,000 MB, default 400; a (600 MB, own quota) and b (400 MB, follows)."""
    with app.app_context():
        domain_id = make_domain("pool.com", quota=1000, default_mailbox_quota=400)
        make_mailbox(domain_id, "a", quota=600)
        make_mailbox(domain_id, "b", quota=400)
        db.session.execute(
            Mailbox.__table__.update().where(Mailbox.address == "b").values(use_domain_quota=True)
        )
        db.session.commit()
        return domain_id
