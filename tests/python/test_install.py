"""The README's install command works: pip builds the package with CMake, offline (ctest label slow)."""

import os
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR


@pytest.mark.slow
def test_pip_install_into_a_target_folder(tmp_path):
    # The README's command, into a folder instead of /usr/local (--target needs no
    # --break-system-packages); --no-deps: numpy is Debian's. The CMake build goes to a
    # temporary folder (DEDUP_WHEEL_BUILD_DIR), not the source tree's build/wheel.
    env = dict(os.environ, DEDUP_WHEEL_BUILD_DIR=str(tmp_path / "cmake"), PIP_NO_INDEX="1")
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                    "--target", str(tmp_path / "site"), str(SOURCE_DIR)],
                   check=True, env=env, cwd=tmp_path)
    installed = sorted(os.listdir(tmp_path / "site" / "dedup"))
    for name in ("__init__.py", "__init__.pyi", "_dedup.pyi", "py.typed"):
        assert name in installed
    script = ("import dedup, sys; r = dedup.cluster([('a', 'one two three four'), ('b', 'one two three four')]);"
              "print(dedup.__file__, [x.cluster for x in r])")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                         env=dict(env, PYTHONPATH=str(tmp_path / "site")), cwd=tmp_path).stdout
    assert out.startswith(str(tmp_path / "site" / "dedup" / "__init__.py")) and out.rstrip().endswith("[0, 0]")
