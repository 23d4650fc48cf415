"""Blueprint registration: one blueprint per area, URL prefix == name."""

from . import context
from .landing import root


def register_blueprints(app):
    """Register every area's blueprint and the root redirect."""
    # Late: this package is the parent of every area, so importing any area's services
    # (the importer, the API do) would otherwise load all the blueprints, and them first.
    from .api import bp as api_bp
    from .api import docs_bp as api_docs_bp
    from .auth import bp as auth_bp
    from .dashboard import bp as dashboard_bp
    from .dkim import bp as dkim_bp
    from .dns import bp as dns_bp
    from .domains import bp as domains_bp
    from .filters import bp as filters_bp
    from .identities import bp as identities_bp
    from .imports import bp as imports_bp
    from .mailserver import bp as mailserver_bp
    from .settings import bp as settings_bp
    from .stats import bp as stats_bp
    from .user import bp as user_bp

    areas = (auth_bp, dashboard_bp, domains_bp, identities_bp, imports_bp, mailserver_bp,
             settings_bp, stats_bp, user_bp, dns_bp, filters_bp, dkim_bp)  # fmt: skip
    for bp in areas:
        app.register_blueprint(bp, url_prefix=f"/{bp.name}")
    # The API's prefix carries its version; its docs blueprint holds two absolute rules.
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(api_docs_bp)
    app.add_url_rule("/", endpoint="root", view_func=root)
    context.init_app(app)
