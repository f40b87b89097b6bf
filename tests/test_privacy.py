"""Issue 14: patient data is private by default (folder 0700, database and -wal/-shm 0600),
and existing installs are fixed when the store opens."""

from __future__ import annotations

import os
import stat

from scoliscreen.core.paths import user_data_dir
from scoliscreen.core.store import Store


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_new_store_is_owner_only():
    with Store.open() as store:
        store.add_patient("P-1")
        path = store.path
        assert _mode(path.parent) == 0o700
        for suffix in ("", "-wal", "-shm"):
            f = path.with_name(path.name + suffix)
            assert f.exists() and _mode(f) == 0o600, suffix


def test_existing_world_readable_install_is_fixed_on_open():
    with Store.open() as store:
        store.add_patient("P-1")
        path = store.path
    os.chmod(user_data_dir(), 0o755)
    os.chmod(path, 0o644)
    assert _mode(path) == 0o644
    with Store.open() as store:
        assert store.find_patient("P-1") is not None
        assert _mode(path.parent) == 0o700
        for suffix in ("", "-wal", "-shm"):
            f = path.with_name(path.name + suffix)
            if f.exists():
                assert _mode(f) == 0o600, suffix
