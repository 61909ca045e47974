"""Builds the extension dedup._dedup with the project's CMake (pyproject.toml has the metadata).

build_ext configures the repository with only the library and the extension (no tests, no
benchmarks, no CLI), Release, for the interpreter running the build, in build/wheel (or
$DEDUP_WHEEL_BUILD_DIR), with ccache when it is installed, so that a repeated build only
relinks; then copies the module into the wheel. The version is project(VERSION) from
CMakeLists.txt, the one source of truth.
"""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*dedup\s+VERSION\s+([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("CMakeLists.txt: no project(dedup VERSION x.y.z)")
    return m.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("DEDUP_WHEEL_BUILD_DIR") or os.path.join(ROOT, "build", "wheel")
        configure = [
            "cmake", "-S", ROOT, "-B", build_dir,
            "-DCMAKE_BUILD_TYPE=Release",
            "-DDEDUP_BUILD_TESTS=OFF", "-DDEDUP_BUILD_BENCHMARKS=OFF", "-DDEDUP_BUILD_PYTHON=ON",
            "-DPython_EXECUTABLE=" + sys.executable,
        ]
        if shutil.which("ccache"):
            configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        subprocess.check_call(configure)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "_dedup", "-j", jobs])
        built = os.path.join(build_dir, "python", "dedup", os.path.basename(self.get_ext_filename(ext.name)))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(
    version=project_version(),
    ext_modules=[Extension("dedup._dedup", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
