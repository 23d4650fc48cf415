"""Confined, crash-safe moves and removals of mail directories (issues 11 and 24).

Every path is checked lexically and resolved: it must lie strictly inside its domain's
directory under the mail root (never the root or a domain directory itself), with no `..`
and no symbolic link between the root and the path. The database and `doveadm` are not
trusted: an upgraded database may hold names such as `..`.

A move across filesystems copies into ``<new>.modoboa-tmp-<tag>``, checks the copy (entries
and bytes), sets the source aside as ``<old>.modoboa-del-<tag>``, renames the copy into place
and only then removes the set-aside source. Every step leaves names a later run recognises
(the tag is the operation id), so a run killed anywhere resumes; until the copy is in place
the source keeps all its data. A removal renames first and deletes the set-aside tree, so a
killed removal resumes too.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from dataclasses import dataclass

TMP_SUFFIX = ".modoboa-tmp-"
DEL_SUFFIX = ".modoboa-del-"


class Refused(ValueError):
    """A path the worker must not touch."""


@dataclass(frozen=True)
class MailRoot:
    """The mail root of a `MAIL_HOME_TEMPLATE` and whether homes sit in a domain directory."""

    root: str
    by_domain: bool

    @classmethod
    def from_template(cls, template: str) -> MailRoot:
        """The root is the directory before the first `%` (`/srv/vmail/%d/%n`: /srv/vmail)."""
        head = template.split("%", 1)[0]
        root = os.path.normpath(head[: head.rfind("/") + 1] or "/")
        if not root.startswith("/") or root == "/" or ".." in root.split("/"):
            raise Refused(f"refusing mail root {root!r} (MAIL_HOME_TEMPLATE {template!r})")
        first = template[len(root) :].strip("/").split("/", 1)[0]
        return cls(root=root, by_domain=first == "%d")

    def confine(self, path: str, domain: str | None = None) -> str:
        """Return *path* resolved, or raise Refused unless it lies strictly inside its domain dir.

        *domain*, when known, must be the directory the path lies in (templates with `%d` first).
        """
        if not path or "\0" in path or not path.startswith("/"):
            raise Refused(f"refusing {path!r}: not an absolute path")
        if any(part in (".", "..") for part in path.split("/")):
            raise Refused(f"refusing {path}: '.' and '..' are not allowed in mail paths")
        lexical = os.path.normpath(path)
        if not lexical.startswith(self.root + "/"):
            raise Refused(f"refusing {path}: outside the mail root {self.root}")
        parts = lexical[len(self.root) + 1 :].split("/")
        if self.by_domain:
            if domain is not None and (domain in ("", ".", "..") or parts[0] != domain):
                raise Refused(f"refusing {path}: not in the directory of domain {domain!r}")
            if len(parts) < 2:
                raise Refused(f"refusing {path}: a domain directory, not a mailbox")
        real = os.path.realpath(lexical)
        if real != os.path.join(os.path.realpath(self.root), *parts):
            raise Refused(f"refusing {path}: a symbolic link under the mail root leads to {real}")
        return real


def _refuse_links(*paths: str) -> None:
    for path in paths:
        if os.path.islink(path):
            raise Refused(f"refusing {path}: a symbolic link")


def remove_any(path: str) -> None:
    """Remove a tree, a file or a link at *path* (never following links); absent is fine."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)  # fd-based on Linux: never follows links inside the tree
    elif os.path.lexists(path):
        os.unlink(path)


def remove_tree(path: str, tag: str) -> None:
    """Remove *path* (already confined) resumably: set it aside, then delete the set-aside copy."""
    aside = path + DEL_SUFFIX + tag
    _refuse_links(aside)
    if os.path.lexists(path):
        remove_any(aside)  # left by a run that stopped, then the path came back
        os.rename(path, aside)
    remove_any(aside)


def census(path: str) -> tuple[int, int]:
    """(entries, bytes of regular files) of a tree, links not followed."""
    entries = size = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            info = os.lstat(os.path.join(dirpath, name))
            entries += 1
            size += info.st_size if stat.S_ISREG(info.st_mode) else 0
    return entries, size


def copy_entry(src: str, dst: str) -> None:
    """Copy one file or link; a complete copy from an earlier run is kept (maildir files never
    change once written, so the same size means the same file)."""
    info = os.lstat(src)
    if stat.S_ISLNK(info.st_mode):
        if not os.path.lexists(dst):
            os.symlink(os.readlink(src), dst)
    elif stat.S_ISREG(info.st_mode):
        if os.path.lexists(dst):
            done = os.lstat(dst)
            if stat.S_ISREG(done.st_mode) and done.st_size == info.st_size:
                return
            os.unlink(dst)
        shutil.copy2(src, dst, follow_symlinks=False)
    else:  # a FIFO would block the copy forever; maildirs never hold one
        raise OSError(errno.EINVAL, "not a regular file, directory or link", src)


def copy_tree(src: str, dst: str) -> None:
    """Copy *src* into *dst*, resuming what an interrupted copy left (links copied as links)."""
    copied = []
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst if rel == "." else os.path.join(dst, rel)
        if not os.path.isdir(target) or os.path.islink(target):
            remove_any(target)
            os.mkdir(target, 0o700)
        links = [name for name in dirnames if os.path.islink(os.path.join(dirpath, name))]
        for name in filenames + links:
            copy_entry(os.path.join(dirpath, name), os.path.join(target, name))
        copied.append((dirpath, target))
    # Deepest first, once filled: a read-only directory would refuse its own entries, and
    # adding entries would change its times. Dovecot reads directory modes.
    for dirpath, target in reversed(copied):
        shutil.copystat(dirpath, target, follow_symlinks=False)


def same_filesystem(path: str, directory: str) -> bool:
    """True when *path* and *directory* are on one filesystem (a rename can move between them)."""
    return os.lstat(path).st_dev == os.stat(directory).st_dev


def move_tree(old: str, new: str, tag: str) -> None:
    """Move *old* to *new* (both confined); resumable after a crash at any step."""
    if new.startswith(old + "/") or old.startswith(new + "/"):
        raise Refused(f"refusing to move {old} to {new}: one contains the other")
    tmp, aside = new + TMP_SUFFIX + tag, old + DEL_SUFFIX + tag
    _refuse_links(tmp, aside)
    if os.path.lexists(aside) and os.path.lexists(old):
        # Only this operation writes `aside`: the source came back since. Which holds the mail?
        raise FileExistsError(errno.EEXIST, f"both {old} and this set-aside copy exist", aside)
    if os.path.lexists(aside):
        if not os.path.lexists(tmp) and not os.path.lexists(new):
            os.rename(aside, old)  # set aside but no copy to place: start again
        else:
            return _place(aside, tmp, new)
    if not os.path.lexists(old):
        remove_any(tmp)
        return None  # never received mail, or moved by an earlier run
    if os.path.lexists(new):
        raise FileExistsError(errno.EEXIST, "already exists", new)
    os.makedirs(os.path.dirname(new), mode=0o700, exist_ok=True)
    if same_filesystem(old, os.path.dirname(new)):
        try:
            os.rename(old, new)  # one atomic step
            remove_any(tmp)
            return None
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # bind mounts share st_dev but not renames
                raise
    copy_tree(old, tmp)
    _verify(old, tmp)
    os.rename(old, aside)
    return _place(aside, tmp, new)


def _verify(src: str, copy: str) -> None:
    expected, got = census(src), census(copy)
    if got != expected:
        remove_any(copy)  # the next run copies afresh
        raise OSError(
            errno.EIO,
            f"incomplete copy ({got[0]} entries, {got[1]} bytes; expected "
            f"{expected[0]} entries, {expected[1]} bytes)",
            copy,
        )


def _place(aside: str, tmp: str, new: str) -> None:
    if os.path.lexists(tmp):
        _verify(aside, tmp)
        if os.path.lexists(new):
            raise FileExistsError(errno.EEXIST, "already exists", new)
        os.rename(tmp, new)
    remove_any(aside)
