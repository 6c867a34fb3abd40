"""`make run`: migrate, create demo data and serve the portal for development."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def flask(*args, env):
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def main():
    env = {**os.environ, "PORTAL_ENV": os.environ.get("PORTAL_ENV", "development")}
    port = env.get("PORT", "5000")
    flask("db", "upgrade", env=env)
    flask("demo", env=env)
    print(f"\nThe License Portal is at http://127.0.0.1:{port}/\n", flush=True)
    os.execve(
        str(BIN / "flask"),
        [str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", port],
        env,
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
