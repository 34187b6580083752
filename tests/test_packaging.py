"""The app installed as a wheel, as a platform without `make` installs it: templates, migrations, static
files and the compiled catalogues all travel inside the package, so a Russian page is Russian.

The wheel is built from this checkout and installed alone into a new virtualenv; its dependencies are the
test environment's (made visible to the new one by a path file), so nothing of the checkout is importable
there but what the wheel carries."""
from __future__ import annotations

import site
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.processes import PROJECT_ROOT

CHECK = textwrap.dedent("""
    import sys
    import saas
    from saas.app import create_app

    assert "site-packages" in saas.__file__, saas.__file__  # the installed copy, not the checkout
    app = create_app({"REDIS_URL": None, "SMTP_URL": None, "RATELIMIT_STORAGE_URI": "memory://"})
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Войти" in page and '<html lang="ru">' in page, page[:500]
    assert client.get("/static/app.css").status_code == 200
    survey_page = client.get("/s/no-such-survey", headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "uk" in survey_page
    print("ok")
""")


def _run(command: list, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_installed_wheel_serves_translated_pages_from_its_own_templates_and_migrations(tmp_path):
    python = Path(sys.executable)
    _run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist", PROJECT_ROOT], tmp_path)
    [wheel] = (tmp_path / "dist").glob("loopline-*.whl")
    _run([python, "-m", "venv", tmp_path / "venv"], tmp_path)
    new_python = tmp_path / "venv" / "bin" / "python"
    new_site = Path(_run([new_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).strip())
    (new_site / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([new_python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel], tmp_path)

    workdir = tmp_path / "deployment"  # somewhere else than the checkout, as on a platform
    workdir.mkdir()
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{workdir / 'app.sqlite3'}", "FLASK_APP": "saas.app"}
    _run([new_python, "-m", "flask", "db", "upgrade"], workdir, env)  # the migrations inside the wheel
    assert _run([new_python, "-c", CHECK], workdir, env).strip().endswith("ok")
