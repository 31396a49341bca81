"""Write-then-rename, so that a crash never leaves a half-written file that looks finished."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

__all__ = ["atomic_output", "atomic_dir"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish_mode(path: str, is_dir: bool) -> None:
    """mkstemp/mkdtemp create private (0600/0700) temporaries; give the result normal permissions."""
    os.chmod(path, (0o777 if is_dir else 0o666) & ~_umask())


def _suffix(base: str) -> str:
    for ext in (".nii.gz", ".tar.gz"):
        if base.endswith(ext):
            return ext
    return os.path.splitext(base)[1]


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike):
    """Yield a temporary file path next to ``path``; rename it to ``path`` on success.

    The temporary name keeps the final extension, so writers that sniff the format from the
    name (SimpleITK, pandas) still work. On any exception the temporary file is removed.
    """
    final = os.fspath(path)
    d = os.path.dirname(os.path.abspath(final))
    os.makedirs(d, exist_ok=True)
    base = os.path.basename(final)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".part" + _suffix(base), dir=d)
    os.close(fd)
    try:
        yield tmp
        _publish_mode(tmp, is_dir=False)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike):
    """Yield a temporary directory next to ``path``; move it to ``path`` on success.

    An existing ``path`` is replaced only after the new content is complete.
    """
    final = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(final)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(final)}.", suffix=".part", dir=parent)
    try:
        yield tmp
        _publish_mode(tmp, is_dir=True)
        if os.path.exists(final):
            old = final + f".old-{os.getpid()}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
