"""Every command of the README's "Command line" section works as written on a fresh clone: the
tracked files copied to a temporary folder (no instance/, no database), the commands run there in
one shell, in order, with their placeholders filled in. Cheap: the current virtual environment is
linked in, so `make install` only compiles the translations (no pip)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

# Placeholders and optional parts, filled in as a new user would.
FILLED = [
    (r"create-user NAME --role \S+ \[--commune SLUG\] \[--area SLUG\] \[--partner SLUG\] --password PW",
     "create-user readme-admin --role admin --password readme-password-42"),
    (r"create-token NAME", "create-token readme-admin"),
    (r"revoke-token TOKEN_OR_PREFIX",
     "revoke-token \"$(flask --app app create-token readme-admin | tail -n 1)\""),
    (r"load-demo \[--with-data\]", "load-demo"),
    (r"places import-province DIR --slug SLUG",
     "places import-province surveys/data/provinces/ha-tinh --slug ha-tinh"),
    (r"coverage import FILE --partner SLUG \[--format F\]",
     "coverage import static/coverage-template.csv --partner viettel"),
    (r"indicators rebuild \[--commune SLUG\]", "indicators rebuild --commune cam-lo"),
    (r"webhooks deliver \[--watch\]", "webhooks deliver"),
    (r"jobs work \[--once\]", "jobs work --once"),
]


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = []
    for line in block.group(1).splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if not line:
            continue
        for pattern, concrete in FILLED:
            line = re.sub(pattern, concrete, line)
        assert not re.search(r"\[|\b[A-Z]{2,}(_[A-Z]+)*\b(?!=)", line.replace("SECRET_KEY_FILE", "")), line
        commands.append(line)
    return commands


@pytest.mark.skipif(not shutil.which("make") or not shutil.which("git"), reason="needs make and git")
def test_readme_command_line_works_on_a_fresh_clone(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    if not (venv / "bin" / "flask").exists():
        pytest.skip("run from the project's virtual environment (make install)")
    clone = tmp_path / "phusong"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
    for name in filter(None, tracked.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert not (clone / "instance").exists()
    (clone / ".venv").symlink_to(venv)  # `make install` finds it up to date: no pip
    commands = readme_commands()
    assert commands[0].startswith("make install") and any("init-db" in c for c in commands)
    script = "set -e\n" + "".join(f"echo '$ {c}'\n{c}\n" for c in commands)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "SECRET_KEY", "DATABASE_URL", "VIRTUAL_ENV", "TEST_"))}
    env["ALLOW_DEMO_DATA"] = "true"  # the README's load-demo line says it
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (clone / "instance" / "phusong.db").is_file()
    assert "Database upgraded from empty" in done.stdout
