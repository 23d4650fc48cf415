"""handle-mailbox-operations stays inside each mailbox's own directory (issue 11, point 1).

Each test runs the real command against a temporary mail root beside an `outside` tree and
compares both trees before and after: a refused operation moves nothing and stays pending.
"""

import pytest

from tests.mailserver import mailops_world as world


@pytest.fixture
def tree(app, tmp_path):
    """A mail root with two maildirs and a domain linked to `outside`, the tree to protect."""
    root = world.mail_root(app, tmp_path)
    world.maildir(root / "ops.test" / "alice")
    world.maildir(root / "other.test" / "carol")
    world.maildir(tmp_path / "outside" / "victim")
    (root / "evil.test").symlink_to(tmp_path / "outside")
    return root


def _assert_refused(app, tmp_path, before, words="refusing"):
    result = world.run(app, tmp_path)
    assert result.exit_code == 1, result.output
    assert "0 operation(s) done, 1 failed." in result.output
    assert world.snapshot(tmp_path, skip=tmp_path / "ops.pid") == before
    [error] = world.pending(app).values()
    assert words in error
    assert f"(reason: {error})" in result.output  # each failure is printed too


@pytest.mark.parametrize(
    "argument",
    [
        "{root}",
        "{root}/ops.test",
        "{root}/ops.test/",
        "{root}/ops.test/..",
        "{root}/ops.test/../other.test/carol",
        "{root}/ops.test/alice/../../../outside/victim",
        "{root}/evil.test/victim",
        "{tmp}/outside/victim",
        "/",
        "ops.test/alice",
    ],
)
def test_a_delete_outside_a_mailbox_directory_is_refused(app, tmp_path, tree, argument):
    world.queue(app, "delete", argument.format(root=tree, tmp=tmp_path))
    _assert_refused(app, tmp_path, world.snapshot(tmp_path))


def test_a_symlinked_mailbox_directory_is_refused(app, tmp_path, tree):
    (tree / "ops.test" / "bob").symlink_to(tmp_path / "outside" / "victim")
    world.queue(app, "delete", tree / "ops.test" / "bob")
    _assert_refused(app, tmp_path, world.snapshot(tmp_path), "symbolic link")


@pytest.mark.parametrize(
    ("domain", "local_part", "words"),
    [
        ("ops.test", "..", "'..'"),  # an upgraded database may hold such names
        ("..", "alice", "'..'"),
        ("evil.test", "victim", "symbolic link"),  # a domain directory linked elsewhere
    ],
)
def test_a_rename_to_a_hostile_home_is_refused(app, tmp_path, tree, domain, local_part, words):
    _uid, mailbox_id = world.mailbox(app, domain, local_part)
    world.queue(app, "rename", tree / "ops.test" / "alice", mailbox_id)
    _assert_refused(app, tmp_path, world.snapshot(tmp_path), words)


@pytest.mark.parametrize(
    "home",
    [
        "{tmp}/outside/new",
        "{root}/other.test/new",
        "{root}/ops.test",
        "{root}/ops.test/x/../..",
        "{root}/ops.test/alice/Maildir/new",  # inside the source: a copy would never end
    ],
)
def test_a_home_from_doveadm_outside_the_domain_is_refused(app, tmp_path, tree, home):
    fake = tmp_path / "doveadm"
    fake.write_text(f'#!/bin/sh\necho "{home.format(root=tree, tmp=tmp_path)}"\n')
    fake.chmod(0o755)
    app.config["DOVEADM_PATH"] = str(fake)
    _uid, mailbox_id = world.mailbox(app, "ops.test", "new")
    world.queue(app, "rename", tree / "ops.test" / "alice", mailbox_id)
    _assert_refused(app, tmp_path, world.snapshot(tmp_path))


def test_only_the_mailbox_directory_moves(app, tmp_path, tree):
    _uid, mailbox_id = world.mailbox(app, "ops.test", "alice2")
    world.queue(app, "rename", tree / "ops.test" / "alice", mailbox_id)
    world.queue(app, "delete", tree / "other.test" / "carol")
    moved = world.snapshot(tree / "ops.test" / "alice")
    before = world.snapshot(tmp_path)
    result = world.run(app, tmp_path)
    assert result.exit_code == 0, result.output
    after = world.snapshot(tmp_path, skip=tmp_path / "ops.pid")
    gone = {k for k in before if k.startswith(("mail/ops.test/alice", "mail/other.test/carol"))}
    assert {k: v for k, v in before.items() if k not in gone} == {
        k: v for k, v in after.items() if not k.startswith("mail/ops.test/alice2")
    }
    assert world.snapshot(tree / "ops.test" / "alice2") == moved
    assert world.pending(app) == {}


def test_doveadm_gets_the_address_after_a_double_dash(app, tmp_path, tree):
    fake = tmp_path / "doveadm"
    # An address starting with '-' must not be read as an option.
    fake.write_text(
        f'#!/bin/sh\n[ "$4" = "--" ] && [ "$5" = "-x@ops.test" ] && echo "{tree}/ops.test/$5"\n'
    )
    fake.chmod(0o755)
    app.config["DOVEADM_PATH"] = str(fake)
    with app.app_context():
        from modoboa_flask.blueprints.mailserver.mailboxops import lookup_home

        assert lookup_home("-x@ops.test") == f"{tree}/ops.test/-x@ops.test"


def test_a_mail_root_that_is_itself_a_link_is_followed(app, tmp_path):
    # /srv/vmail -> /data/vmail is a common layout: only links below the root are refused.
    real = world.maildir(tmp_path / "data" / "ops.test" / "alice").parent.parent
    (tmp_path / "mail").symlink_to(real)
    root = world.mail_root(app, tmp_path)
    world.queue(app, "delete", root / "ops.test" / "alice")
    result = world.run(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert (
        list(real.iterdir()) == [real / "ops.test"] and not (real / "ops.test" / "alice").exists()
    )
