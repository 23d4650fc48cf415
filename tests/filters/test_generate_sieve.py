"""`flask generate-dovecot-conf`: the Sieve plugin, ManageSieve and the master passdb."""

from passlib.hash import sha512_crypt


def _generate(app, tmp_path, *args):
    return app.test_cli_runner().invoke(
        args=[
            "generate-dovecot-conf",
            "--destdir",
            str(tmp_path),
            "--uid",
            "65534",
            "--dburl",
            "postgresql://modoboa:pw@db.example/modoboa",
            *args,
        ]  # fmt: skip
    )


def test_include_configures_sieve_managesieve_and_the_master_passdb(app, tmp_path):
    result = _generate(app, tmp_path, "--managesieve-port", "14190",
                       "--managesieve-address", "127.0.0.1")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (tmp_path / "99-modoboa.conf").read_text()
    for expected in (
        "  mail_plugins = $mail_plugins sieve",
        "  sieve = file:~/sieve;active=~/.dovecot.sieve",
        "service managesieve-login {",
        "    address = 127.0.0.1",
        "    port = 14190",
        "protocol sieve {",
        "    master = yes",
        f"    args = {tmp_path}/dovecot-master-users",
    ):
        assert expected in text.splitlines(), expected
    # Unconfigured: no file, and the output says what to set.
    assert not (tmp_path / "dovecot-master-users").exists()
    assert "MODOBOA_SIEVE_MASTER_USER" in result.output


def test_default_listener_follows_dovecots_listen(app, tmp_path):
    assert _generate(app, tmp_path).exit_code == 0
    text = (tmp_path / "99-modoboa.conf").read_text()
    assert "    port = 4190" in text.splitlines()
    assert "address =" not in text.split("service managesieve-login", 1)[1].split("}", 1)[0]


def test_master_users_file_holds_a_hash_readable_by_dovecot_only(app, tmp_path):
    app.config.update(SIEVE_MASTER_USER="modoboa", SIEVE_MASTER_PASSWORD="s3cret-master")
    result = _generate(app, tmp_path)
    assert result.exit_code == 0, result.output
    path = tmp_path / "dovecot-master-users"
    assert path.stat().st_mode & 0o777 == 0o640
    user, _, hashed = path.read_text().strip().partition(":")
    assert user == "modoboa" and hashed.startswith("{SHA512-CRYPT}$6$")
    assert "s3cret" not in path.read_text()
    assert sha512_crypt.verify("s3cret-master", hashed.removeprefix("{SHA512-CRYPT}"))


def test_a_master_user_name_that_would_break_the_file_is_refused(app, tmp_path):
    app.config.update(SIEVE_MASTER_USER="bad:name", SIEVE_MASTER_PASSWORD="x")
    result = _generate(app, tmp_path)
    assert result.exit_code != 0 and "plain name" in result.output
    assert not (tmp_path / "99-modoboa.conf").exists()


def test_no_sieve_leaves_it_out_for_servers_without_pigeonhole(app, tmp_path):
    app.config.update(SIEVE_MASTER_USER="modoboa", SIEVE_MASTER_PASSWORD="x")
    result = _generate(app, tmp_path, "--no-sieve")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "99-modoboa.conf").read_text()
    assert "mail_plugins = $mail_plugins sieve" not in text and "managesieve" not in text
    assert not (tmp_path / "dovecot-master-users").exists()
    assert "MODOBOA_SIEVE_MASTER_USER" not in result.output
