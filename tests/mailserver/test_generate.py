"""generate-postfix-maps and generate-dovecot-conf: content, options, upgrades."""

import re

from sqlalchemy import select

from modoboa_flask import signals
from modoboa_flask.blueprints.mailserver.generator import parse_checksums
from modoboa_flask.blueprints.mailserver.postfix_maps import PostfixMap
from modoboa_flask.extensions import db

PG = "postgresql+psycopg://pfuser:s3cret@db.example:5433/maildb"


def _gen(runner, destdir, *args):
    return runner.invoke(args=["generate-postfix-maps", "--destdir", str(destdir), *args])


def _conf(path):
    return dict(line.split(" = ", 1) for line in path.read_text().splitlines() if " = " in line)


def test_connection_lines_keep_a_non_default_port(runner, tmp_path):
    assert _gen(runner, tmp_path / "pg", "--dburl", PG).exit_code == 0
    conf = _conf(tmp_path / "pg" / "sql-domains.cf")
    assert conf["hosts"] == "db.example:5433"
    assert (conf["user"], conf["password"], conf["dbname"]) == ("pfuser", "s3cret", "maildb")
    assert conf["query"].endswith("AND type='domain' AND enabled")  # PostgreSQL boolean
    url = "mysql+pymysql://u:p@localhost:3307/m"
    assert _gen(runner, tmp_path / "my", "--dburl", url).exit_code == 0
    conf = _conf(tmp_path / "my" / "sql-domains.cf")
    # libmysqlclient reads "localhost" as its UNIX socket and would drop the port.
    assert conf["hosts"] == "inet:127.0.0.1:3307"
    assert conf["query"].endswith("enabled=1")
    url = "mysql+pymysql://u:p@db.example/m"
    assert _gen(runner, tmp_path / "my2", "--dburl", url).exit_code == 0
    assert _conf(tmp_path / "my2" / "sql-domains.cf")["hosts"] == "inet:db.example"


def test_sqlite_dbpath_is_absolute_and_permissions_explained(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _gen(runner, "maps", "--dburl", "sqlite:///rel/app.db")
    assert result.exit_code == 0, result.output
    assert _conf(tmp_path / "maps" / "sql-aliases.cf")["dbpath"] == f"{tmp_path}/rel/app.db"
    assert f"chgrp postfix {tmp_path}/rel {tmp_path}/rel/app.db* && chmod g+ws" in result.output
    assert "virtual_alias_maps = sqlite:" in result.output
    assert (tmp_path / "maps" / "sql-aliases.cf").stat().st_mode & 0o777 == 0o640


def test_in_memory_database_is_refused(app, tmp_path):
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    result = _gen(app.test_cli_runner(), tmp_path)
    assert result.exit_code != 0
    assert "in-memory SQLite database cannot be shared" in result.output
    assert not list(tmp_path.iterdir())


def test_upgrade_keeps_hand_edits_and_credentials(runner, tmp_path):
    assert _gen(runner, tmp_path, "--dburl", PG).exit_code == 0
    edited = tmp_path / "sql-aliases.cf"
    edited.write_text(edited.read_text() + "# pouet\n")
    chk = (tmp_path / "modoboa-postfix-maps.chk").read_text()
    assert "sql-domains.cf:postgres:" in chk
    result = _gen(runner, tmp_path, "--dburl", "sqlite:////tmp/other.db")
    assert "Cannot upgrade 'sql-aliases.cf' map because it has been modified." in result.output
    assert edited.read_text().endswith("# pouet\n")
    # --dburl is explicit: it replaces the credentials of the files we own.
    assert _conf(tmp_path / "sql-domains.cf")["dbpath"] == "/tmp/other.db"


def test_upgrade_without_dburl_keeps_the_credentials(app, tmp_path):
    runner = app.test_cli_runner()
    assert _gen(runner, tmp_path, "--dburl", PG).exit_code == 0
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////srv/modoboa/app.db"
    result = _gen(runner, tmp_path)
    assert result.exit_code == 0, result.output
    conf = _conf(tmp_path / "sql-domains.cf")
    assert (conf["hosts"], conf["password"]) == ("db.example:5433", "s3cret")
    assert "dbpath" not in conf
    edited = tmp_path / "sql-aliases.cf"
    edited.write_text("# pouet\n")
    result = _gen(runner, tmp_path, "--force-overwrite")
    assert "Cannot upgrade" not in result.output
    assert _conf(edited)["dbpath"] == "/srv/modoboa/app.db"
    assert _conf(tmp_path / "sql-domains.cf")["dbpath"] == "/srv/modoboa/app.db"


def test_print_main_cf_writes_nothing(runner, tmp_path):
    result = _gen(runner, tmp_path / "x", "--dburl", PG, "--print-main-cf")
    assert result.exit_code == 0
    assert f"relay_domains = pgsql:{tmp_path}/x/sql-relaydomains.cf" in result.output
    assert not (tmp_path / "x").exists()


def test_relay_transport_carries_the_port_for_every_database():
    from modoboa_flask.blueprints.mailserver.postfix_maps import CORE_MAPS

    transport = next(m for m in CORE_MAPS if m.filename == "sql-relaydomains-transport.cf")
    for dbtype in ("mysql", "postgres", "sqlite"):
        assert "rdom.target_port" in transport.query(dbtype)
        assert transport.query(dbtype).count("rdom.target_host") == 1


def test_plugins_register_extra_maps(app, tmp_path):
    extra = PostfixMap("sql-extra.cf", "SELECT 1", "SELECT 2", "SELECT 3")

    def receiver(sender, **kw):
        return [extra]

    signals.register_postfix_maps.connect(receiver, sender=app)
    try:
        result = _gen(app.test_cli_runner(), tmp_path, "--dburl", PG)
    finally:
        signals.register_postfix_maps.disconnect(receiver, sender=app)
    assert result.exit_code == 0
    assert _conf(tmp_path / "sql-extra.cf")["query"] == "SELECT 2"


def _dovecot(runner, tmp_path, *args):
    result = runner.invoke(
        args=["generate-dovecot-conf", "--destdir", str(tmp_path), "--dburl", PG, *args]
    )
    return result, (tmp_path / "dovecot-sql.conf.ext")


def test_dovecot_conf_defaults_and_options(app, tmp_path):
    runner = app.test_cli_runner()
    result, path = _dovecot(runner, tmp_path)
    assert result.exit_code == 0, result.output
    conf = _conf(path)
    assert conf["driver"] == "pgsql"
    assert conf["connect"] == "host=db.example port=5433 dbname=maildb user=pfuser password=s3cret"
    assert conf["default_pass_scheme"] == "SHA512-CRYPT"
    for query in ("password_query", "user_query", "iterate_query"):
        assert "u.is_active AND dom.enabled" in conf[query]
    assert "'/srv/vmail/%Ld/%Ln' AS home, 'vmail' AS uid, 'vmail' AS gid" in conf["user_query"]
    assert "('*:bytes=' || mb.quota || 'M') AS quota_rule" in conf["user_query"]
    result, path = _dovecot(
        runner, tmp_path, "--mail-home-template", "/mail/%d/%u", "--uid", "5000",
        "--gid", "mail", "--quota-rule-format", "*:storage={quota}M",
    )  # fmt: skip
    conf = _conf(path)
    assert "'/mail/%Ld/%Lu' AS home, 5000 AS uid, 'mail' AS gid" in conf["user_query"]
    assert "('*:storage=' || mb.quota || 'M')" in conf["user_query"]
    assert path.stat().st_mode & 0o777 == 0o640
    dict_conf = (tmp_path / "dovecot-dict-sql.conf.ext").read_text()
    assert "table = admin_quota" in dict_conf and "value_field = messages" in dict_conf


def test_dovecot_conf_refuses_a_quota_format_without_quota(runner, tmp_path):
    result, path = _dovecot(runner, tmp_path, "--quota-rule-format", "*:storage=1G")
    assert result.exit_code != 0
    assert "must contain {quota}" in result.output
    assert not path.exists()


def _main_cf(runner, tmp_path, dburl=PG):
    result = _gen(runner, tmp_path / "maps", "--dburl", dburl, "--print-main-cf")
    assert result.exit_code == 0, result.output
    return result.output


def _parameters(text):
    """main.cf parameters: {name: value with continuation lines joined}."""
    params, name = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            params[name] = f"{params[name]} {line.strip()}".strip()
            continue
        name, value = line.split(" = ", 1) if " = " in line else (line.rstrip(" ="), "")
        params[name] = value
    return params


def test_print_main_cf_prints_only_main_cf_syntax(runner, tmp_path):
    text = _main_cf(runner, tmp_path, "sqlite:////srv/modoboa/app.db")
    for line in text.splitlines():
        ok = not line or line.startswith("#") or line.startswith("    ")
        assert ok or re.match(r"^[a-z_]+ =( |$)", line), line
    assert "chgrp postfix /srv/modoboa /srv/modoboa/app.db" in text  # advice as a comment
    assert not (tmp_path / "maps").exists()


def test_main_cf_is_complete_for_a_virtual_mailbox_server(runner, tmp_path):
    p = _parameters(_main_cf(runner, tmp_path))
    d = f"pgsql:{tmp_path}/maps"
    assert p["virtual_mailbox_maps"] == f"{d}/sql-mailboxes.cf"
    assert p["virtual_transport"] == "lmtp:unix:private/dovecot-lmtp"
    assert (p["smtpd_sasl_type"], p["smtpd_sasl_path"]) == ("dovecot", "private/auth")
    relay = p["smtpd_relay_restrictions"].split()
    assert relay == ["permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"]
    recipient = p["smtpd_recipient_restrictions"].split()
    # Verification only through the relay-domain map, never for every recipient.
    assert "reject_unverified_recipient" not in recipient
    assert f"{d}/sql-relay-recipient-verification.cf" in recipient
    assert f"{d}/sql-disabled-mailboxes.cf" in recipient
    assert recipient.index("permit_sasl_authenticated") > recipient.index(f"{d}/sql-maintain.cf")
    assert p["unverified_recipient_reject_code"] == "550"
    assert p["smtpd_sender_restrictions"] == "reject_sender_login_mismatch"
    assert len(p["smtpd_sender_login_maps"].split()) == 3


def test_print_master_cf_names_submission_and_the_relay_services(app, tmp_path):
    from modoboa_flask.models import Domain, RelayDomain, Service

    with app.app_context():
        stock = db.session.scalar(select(Service).where(Service.name == "relay"))
        stock = stock or Service(name="relay")  # load_initial_data makes it
        used, unused = Service(name="relay-out"), Service(name="spare")
        db.session.add_all([used, stock, unused])
        for name, service in (("a.test", used), ("b.test", stock)):
            domain = Domain(name=name, type="relaydomain")
            db.session.add(RelayDomain(domain=domain, target_host="mx", service=service))
        db.session.commit()
    result = _gen(app.test_cli_runner(), tmp_path, "--dburl", PG, "--print-master-cf")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "submission inet n       -       n       -       -       smtpd" in lines
    assert "  -o smtpd_sasl_auth_enable=yes" in lines
    assert "  -o smtpd_tls_security_level=encrypt" in lines
    assert "relay-out  unix  -       -       n       -       -       smtp" in lines
    assert "# relay: already in Postfix's stock master.cf" in lines
    assert not any("spare" in line for line in lines)
    assert not list(tmp_path.iterdir())


def test_dovecot_include_has_mailboxes_listeners_and_quota(runner, tmp_path):
    result, _path = _dovecot(
        runner, tmp_path, "--uid", "65534", "--gid", "65534", "--postfix-spool", "/srv/spool"
    )
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    text = (tmp_path / "99-modoboa.conf").read_text()
    assert (tmp_path / "99-modoboa.conf").stat().st_mode & 0o777 == 0o640
    for expected in (
        "mail_location = maildir:~/Maildir",
        "first_valid_uid = 65534",
        "unix_listener /srv/spool/private/dovecot-lmtp {",
        "unix_listener /srv/spool/private/auth {",
        f"  args = {tmp_path}/dovecot-sql.conf.ext",
        "  mail_plugins = $mail_plugins quota",
        "  quota = dict:User quota::proxy::sqlquota",
        f"  sqlquota = pgsql:{tmp_path}/dovecot-dict-sql.conf.ext",
        "    user = nobody",  # the dict socket: the maildir owner's name for Dovecot
    ):
        assert expected in text.splitlines() or expected in text, expected
    assert "extra_groups" not in text  # only SQLite needs the dict to write the file


def test_dovecot_conf_says_plainly_that_the_maildir_owner_is_missing(runner, tmp_path):
    result, _path = _dovecot(runner, tmp_path, "--uid", "no-such-vmail")
    assert result.exit_code == 0, result.output
    assert "The maildir owner 'no-such-vmail' does not exist on this machine" in result.output
    text = (tmp_path / "99-modoboa.conf").read_text()
    assert "first_valid_uid" not in text and "    user = no-such-vmail" in text


def test_dovecot_conf_refuses_an_owner_that_is_not_a_name_or_number(runner, tmp_path):
    result, path = _dovecot(runner, tmp_path, "--uid", "vmail\n}")
    assert result.exit_code != 0
    assert "Invalid maildir owner" in result.output
    assert not path.exists() and not (tmp_path / "99-modoboa.conf").exists()


def test_a_read_replica_for_lookups_and_the_primary_for_the_quota_dict(app, tmp_path):
    primary = "postgresql+psycopg://dict:s3cret@primary.example/maildb"
    result, path = _dovecot(app.test_cli_runner(), tmp_path, "--dict-dburl", primary)
    assert result.exit_code == 0, result.output
    assert "host=db.example port=5433" in _conf(path)["connect"]  # --dburl: the replica
    dict_conf = (tmp_path / "dovecot-dict-sql.conf.ext").read_text()
    assert "host=primary.example" in dict_conf and "db.example" not in dict_conf


def test_one_checksum_parser_for_the_generator_and_the_information_page():
    lines = ["sql-domains.cf:sqlite:ABCDEF\n", "\n", "junk\n", ":sqlite:00\n", "a.cf:pg:1:2\n"]
    assert parse_checksums(lines) == {"sql-domains.cf": ("sqlite", "abcdef")}
