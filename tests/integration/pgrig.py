"""A PostgreSQL server of the test's own (Debian's postgresql, never its system service):
initdb into a fresh directory owned by the `postgres` user, listening on 127.0.0.1 on a free
port with trust authentication for the user `omniq`; stop() and start() again keep its data
(the archive's database going away and coming back). psql() runs SQL through Debian's psql."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from harness import free_port, wait_for


def pg_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/deps.sh test installs "
                           "postgresql): no %s" % name)
    return found[-1]


class PgServer:
    def __init__(self, logdir):
        self.port = free_port()
        # its own directory outside the test's (whose parents the postgres user may not
        # enter), removed by cleanup()
        self.dir = tempfile.mkdtemp(prefix="omniq-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(logdir, "postgresql-%d.log" % self.port)
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        open(self.log, "a").close()
        os.chown(self.log, pw.pw_uid, pw.pw_gid)
        self.run([pg_bin("initdb"), "-D", self.data, "-U", "omniq", "--auth=trust",
                  "-E", "UTF8", "--locale=C"])
        self.url = "postgres://omniq@127.0.0.1:%d/postgres" % self.port

    def run(self, argv, check=True):
        """argv as the postgres user (PostgreSQL refuses to run as root)."""
        p = subprocess.run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                            "--"] + argv, cwd=self.dir, capture_output=True, text=True,
                           timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (argv[0], p.returncode, p.stdout,
                                                         p.stderr))
        return p

    def start(self):
        self.run([pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                  "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" % (self.port,
                                                                             self.dir),
                  "start"])
        wait_for(lambda: self.psql("SELECT 1") == [["1"]], timeout=30, what="PostgreSQL up")
        return self

    def stop(self):
        self.run([pg_bin("pg_ctl"), "-D", self.data, "-w", "-t", "60", "-m", "fast", "stop"],
                 check=False)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql):
        """The rows of sql as lists of strings (NULL as None); None when the server does not
        answer."""
        p = subprocess.run([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                            "omniq", "-d", "postgres", "-X", "-A", "-t", "-F", "\x1f", "-P",
                            "null=\x1e", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            return None
        return [[None if v == "\x1e" else v for v in line.split("\x1f")]
                for line in p.stdout.split("\n") if line]  # (splitlines would split at \x1e)
