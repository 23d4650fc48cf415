"""`flask generate-dkim-maps`: OpenDKIM and rspamd tables, hand-edit protection, main.cf lines."""

import os

from modoboa_flask.extensions import db
from tests import factories

from .conftest import domain_named, make_key, mode


def _signing_world(app):
    """a.test signs (active key), b.test has only a pending key, c.test has DKIM disabled."""
    with app.app_context():
        for name in ("a.test", "b.test", "c.test"):
            factories.make_domain(name)
        keys = {}
        for name in ("a.test", "b.test", "c.test"):
            key = make_key(name, key_length=1024)
            keys[name] = (key.selector, key.private_key_path)
        for name in ("a.test", "c.test"):
            from modoboa_flask.blueprints.dkim import services

            domain = domain_named(name)
            services._activate(domain, services.live_keys(domain)[0])
        domain_named("c.test").enable_dkim = False
        db.session.commit()
    return keys


def test_tables_list_the_active_keys_of_enabled_domains(dkim_app, tmp_path):
    keys = _signing_world(dkim_app)
    dest = tmp_path / "opendkim"
    result = dkim_app.test_cli_runner().invoke(args=["generate-dkim-maps", "--destdir", str(dest)])
    assert result.exit_code == 0, result.output
    assert "5 file(s) written" in result.output and "(1 signing domain(s))" in result.output
    _sel, path = keys["a.test"]

    def body(name):
        return [line for line in (dest / name).read_text().splitlines() if not line.startswith("#")]

    assert body("KeyTable") == [f"modoboa._domainkey.a.test a.test:modoboa:{path}"]
    assert body("SigningTable") == ["a.test modoboa._domainkey.a.test"]
    assert body("dkim_selectors.map") == ["a.test modoboa"]
    assert body("dkim_paths.map") == [f"a.test {path}"]
    conf = (dest / "dkim_signing.conf").read_text()
    assert f'path_map = "{dest}/dkim_paths.map";' in conf
    assert f'selector_map = "{dest}/dkim_selectors.map";' in conf
    assert all(mode(dest / n) == 0o640 for n in os.listdir(dest))
    assert f"KeyTable           file:{dest}/KeyTable" in result.output
    assert "smtpd_milters = inet:127.0.0.1:8891" in result.output
    assert "non_smtpd_milters = $smtpd_milters" in result.output


def test_hand_edited_tables_are_kept_unless_forced(dkim_app, tmp_path):
    _signing_world(dkim_app)
    dest = tmp_path / "t"
    runner = dkim_app.test_cli_runner()
    runner.invoke(args=["generate-dkim-maps", "--destdir", str(dest)])
    (dest / "SigningTable").write_text("*@a.test mine\n")
    result = runner.invoke(args=["generate-dkim-maps", "--destdir", str(dest)])
    assert result.exit_code == 0
    assert "Cannot upgrade 'SigningTable' because it has been modified." in result.output
    assert (dest / "SigningTable").read_text() == "*@a.test mine\n"
    assert "4 file(s) written" in result.output
    # Still kept on the next run (its checksum was not replaced by the edited file's).
    result = runner.invoke(args=["generate-dkim-maps", "--destdir", str(dest)])
    assert "Cannot upgrade 'SigningTable'" in result.output
    result = runner.invoke(args=["generate-dkim-maps", "--destdir", str(dest), "--force-overwrite"])
    assert "5 file(s) written" in result.output
    assert "a.test modoboa._domainkey.a.test" in (dest / "SigningTable").read_text()


def test_print_main_cf_prints_only_postfix_lines(dkim_app):
    result = dkim_app.test_cli_runner().invoke(
        args=["generate-dkim-maps", "--print-main-cf", "--socket", "local:/run/opendkim/sock"]
    )
    assert result.output == (
        "smtpd_milters = local:/run/opendkim/sock\nnon_smtpd_milters = $smtpd_milters\n"
        "milter_default_action = accept\nmilter_protocol = 6\n"
    )


def test_a_linked_table_is_refused(dkim_app, tmp_path):
    dest = tmp_path / "t"
    dest.mkdir()
    os.symlink("/etc/hostname", dest / "KeyTable")
    result = dkim_app.test_cli_runner().invoke(args=["generate-dkim-maps", "--destdir", str(dest)])
    assert result.exit_code != 0 and "symbolic link" in result.output
