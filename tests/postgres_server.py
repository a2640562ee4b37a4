"""A throwaway PostgreSQL server for tests, started from Debian's postgresql package.

Tests of the PostgreSQL source path need a real server (COPY, JSONB, TIMESTAMPTZ), but
no service runs on developer or CI machines. This starts a private postmaster from
/usr/lib/postgresql/*/bin in a temporary directory, trust auth, on 127.0.0.1 and a free
port, and removes everything on exit. initdb refuses to run as root, so as root the
server runs as the `postgres` OS user that the package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import adbc_driver_postgresql.dbapi

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
DATABASE = "flowmart"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL bin directory that has initdb and postgres."""
    candidates = [
        p
        for p in Path("/").glob(BIN_GLOB.lstrip("/"))
        if (p / "initdb").is_file() and (p / "postgres").is_file()
    ]
    return max(candidates, key=lambda p: _version_key(p.parent.name), default=None)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def postgres_available() -> tuple[bool, str]:
    """(True, '') when a server can be started here, else (False, why not)."""
    if find_bin_dir() is None:
        return False, f"no PostgreSQL binaries (initdb, postgres) under {BIN_GLOB}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return False, f"running as root and there is no {SERVER_USER!r} OS user"
    return True, ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """Context manager: a private PostgreSQL server; `url` points at an empty database."""

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(postgres_available()[1])
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.url = f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{DATABASE}"
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- running commands as the server's OS user ------------------------------------
    def _user_kwargs(self) -> dict[str, object]:
        """Popen arguments that drop root privileges; nothing to drop for other users."""
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam(SERVER_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin_dir / tool), *args],
            check=True,
            capture_output=True,
            cwd=self._root,
            env=self._env(),
            **self._user_kwargs(),
        )

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> PostgresServer:
        self._root = Path(tempfile.mkdtemp(prefix="flowmart-pg-"))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self) -> None:
        assert self._root is not None
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self._root, entry.pw_uid, entry.pw_gid)
        data_dir = self._root / "data"
        initdb = ["-D", str(data_dir), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8"]
        self._run("initdb", *initdb, "--no-sync", "--no-instructions")
        self._launch()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER, DATABASE)

    def _launch(self) -> None:
        """Start the postmaster on the data directory; return once it accepts connections."""
        assert self._root is not None
        data_dir = self._root / "data"
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self._root),
            # a throwaway server: durability only costs time
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        options = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
        with (self._root / "server.log").open("ab") as log:
            self._process = subprocess.Popen(
                [str(self.bin_dir / "postgres"), "-D", str(data_dir), *options],
                stdout=subprocess.DEVNULL,
                stderr=log,
                cwd=self._root,
                env=self._env(),
                **self._user_kwargs(),
            )
        self._wait_until_ready()

    def add_password_role(self, role: str, password: str) -> str:
        """A login role that may read every table and must authenticate with `password`
        (SCRAM over TCP, the rest of the server stays trust): its URL, password included."""
        assert self._root is not None
        with adbc_driver_postgresql.dbapi.connect(self.url) as conn, conn.cursor() as cursor:
            quoted = password.replace("'", "''")
            cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{quoted}' IN ROLE pg_read_all_data")
            conn.commit()
            hba = self._root / "data" / "pg_hba.conf"
            rule = f"host all {role} 127.0.0.1/32 scram-sha-256\n"
            hba.write_text(rule + hba.read_text())  # first match wins: before the trust rules
            cursor.execute("SELECT pg_reload_conf()")
            cursor.fetchall()
        address = f"127.0.0.1:{self.port}/{DATABASE}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:  # the postmaster reloads asynchronously: wait until a wrong one fails
            try:
                adbc_driver_postgresql.dbapi.connect(f"postgresql://{role}:-@{address}").close()
            except adbc_driver_postgresql.dbapi.Error:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start requiring a password of {role}")
            time.sleep(0.05)
        return f"postgresql://{role}:{quote(password, safe='')}@{address}"

    def load_dump(self, name: str, dump: Path) -> str:
        """A new database `name` restored from a plain-SQL dump (pg_dump's): its URL.
        psql reads the dump from standard input, so the server's OS user needs no access
        to the file. pg_dump 15.14+ guards its dumps with `\\restrict` lines that older
        psql clients reject; these dumps are our own fixtures, so the guard is dropped."""
        script = b"".join(
            line
            for line in dump.read_bytes().splitlines(keepends=True)
            if not line.startswith((b"\\restrict", b"\\unrestrict"))
        )
        port = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER]
        self._run("createdb", *port, name)
        subprocess.run(
            [str(self.bin_dir / "psql"), *port, "-q", "-v", "ON_ERROR_STOP=1", "-d", name],
            input=script,
            check=True,
            capture_output=True,
            env=self._env(),
            **self._user_kwargs(),
        )
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        probe = [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        while subprocess.run(probe, check=False, env=self._env()).returncode != 0:
            assert self._process is not None
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start; see {self._root}/server.log")
            time.sleep(0.1)

    def shut_down(self) -> None:
        """Fast shutdown (SIGINT) of our own postmaster, keeping its data: the server
        terminates its clients' connections, as a database going down under them does.
        `restart` brings it back with the same data, port and URL."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def restart(self) -> None:
        """Start the server again after `shut_down`."""
        if self._process is None:
            self._launch()

    def stop(self) -> None:
        """Fast shutdown (SIGINT) of our own postmaster, then remove its directory."""
        self.shut_down()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
