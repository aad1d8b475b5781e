"""Ask a resolver whether the locks install, binary wheels only, on every platform we claim.

    python tools/check_lock.py [LOCK ...]        (make check-lock; needs the package registry)

For each target (Linux x86_64, macOS arm64, Windows amd64, each with the lowest Python we claim,
3.12 and 3.13; Linux alone for the GPU lock) it runs `uv pip install --dry-run` with that
platform and Python version, so the lock's environment markers are evaluated for the target
rather than for this machine, and prints a table: target, then how many packages would install
and which TensorFlow, or the resolver's reason why not. It exits 1 if any target fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLATFORMS = {
    "Linux x86_64": "x86_64-manylinux_2_28",
    "macOS arm64": "aarch64-apple-darwin",
    "Windows amd64": "x86_64-pc-windows-msvc",
}
PYTHONS = ("3.11.0", "3.12", "3.13")  # 3.11.0: the oldest 3.11 (Debian 12 ships 3.11.2)
LOCKS = {  # each lock and the platforms it is for: the GPU lock is Linux's (NVIDIA's CUDA wheels)
    Path("requirements.txt"): tuple(PLATFORMS),
    Path("requirements-gpu.txt"): ("Linux x86_64",),
}
PLANNED = re.compile(r"^ \+ (\S+)==(\S+)$", re.MULTILINE)
FRAMEWORKS = ("tensorflow", "tensorflow-cpu", "jax")


def uv() -> str:
    """The uv next to this Python (the project's .venv has it), else the one on PATH."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        sys.exit("check_lock: expected uv (pip install uv, or make check-lock, which installs it), found none")
    return found


def locked(lock: Path) -> set[str]:
    """The `name==version` pins of a lock, names normalized as uv prints them."""
    pins = re.findall(r"^([A-Za-z0-9._-]+)==([^\s;]+)", lock.read_text(), re.MULTILINE)
    return {f"{re.sub(r'[._]+', '-', name).lower()}=={version}" for name, version in pins}


def check(lock: Path, platform: str, python: str) -> tuple[bool, str]:
    """(installs?, what would install or why not) for `lock` on one target."""
    with tempfile.TemporaryDirectory() as target:
        command = [uv(), "pip", "install", "--dry-run", "--only-binary", ":all:", "--target", target]
        command += ["--python-platform", platform, "--python-version", python, "-r", str(lock)]
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        reason = " ".join(line.strip() for line in finished.stderr.strip().splitlines()[-3:])
        return False, reason
    planned = dict(PLANNED.findall(finished.stderr + finished.stdout))
    unlocked = sorted(name for name in planned if f"{name}=={planned[name]}" not in locked(lock))
    if unlocked:
        return False, f"the lock misses {', '.join(unlocked)}"
    frameworks = ", ".join(f"{name} {planned[name]}" for name in FRAMEWORKS if name in planned)
    return True, f"{len(planned)} packages ({frameworks})"


def main(locks: list[str]) -> int:
    failed = 0
    for lock in map(Path, locks or LOCKS):
        print(f"{lock}:\n\n| target | Python | installs |\n|---|---|---|")
        for name in LOCKS.get(lock, PLATFORMS):
            for python in PYTHONS:
                installs, detail = check(lock, PLATFORMS[name], python)
                failed += not installs
                print(f"| {name} | {python} | {'yes' if installs else 'no'}: {detail} |", flush=True)
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
