//! An owned PostgreSQL server: a temporary directory holding the data directory, the socket
//! directory and the server log; a postmaster started with pg_ctl; and a watchdog process that
//! stops the server and removes the directory once this process is gone, however it ended.
//!
//! PostgreSQL refuses to run as root, and tests here often run as root in containers, so as
//! root the directory is given to the `postgres` OS user and initdb/pg_ctl run as that user.
//! Clients (psql, pg_dump) need no such care: they connect over TCP as role `postgres`.

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

use crate::process::{run, shell_join, shell_quote};
use crate::{ClusterOptions, Error, SUPERUSER};

/// The OS account that owns the files and runs the server when we are root.
const SERVER_OS_USER: &str = "postgres";

/// A port picked by binding port 0 can be taken by someone else before the server binds it.
const START_ATTEMPTS: u32 = 5;

/// Authentication for the sandbox: the superuser gets in without a password so that tests need
/// no secrets, while other roles must use their passwords so that auth code can be tested.
const PG_HBA: &str = "\
# Written by pg-sandbox.
local   all          all                    trust
host    all          postgres  127.0.0.1/32 trust
host    all          all       127.0.0.1/32 scram-sha-256
host    all          postgres  ::1/128      trust
host    all          all       ::1/128      scram-sha-256
host    replication  postgres  127.0.0.1/32 trust
host    replication  all       127.0.0.1/32 scram-sha-256
host    replication  postgres  ::1/128      trust
host    replication  all       ::1/128      scram-sha-256
";

pub(crate) struct Server {
    data: PathBuf,
    log: PathBuf,
    pg_ctl: PathBuf,
    run_as: Option<RunAs>,
    /// A `sh` reading from a pipe whose only writer is this process. The pipe closes when the
    /// process ends, even on abort or SIGKILL, and the watchdog then cleans up. This matters for
    /// `Cluster::shared`, which lives in a static and is never dropped.
    watchdog: Option<Child>,
    /// Last field: dropped after `Drop::drop` has stopped the server.
    dir: TempDir,
}

impl Server {
    /// initdb + configure + start. Returns the server and its port.
    pub fn start(bindir: &Path, opts: &ClusterOptions) -> Result<(Server, u16), Error> {
        let run_as = RunAs::detect()?;
        let tmp = std::env::temp_dir();
        let dir = tempfile::Builder::new().prefix("pg-sandbox-").tempdir_in(&tmp).map_err(|e| {
            let tmp = tmp.display();
            Error::io(
                format!("could not create a directory in {tmp} (set TMPDIR to a writable one)"),
                e,
            )
        })?;
        let sock = dir.path().join("sock");
        fs::create_dir(&sock)
            .map_err(|e| Error::io(format!("could not create {}", sock.display()), e))?;
        if let Some(run_as) = &run_as {
            for path in [dir.path(), &sock] {
                chown(path, Some(run_as.uid), Some(run_as.gid)).map_err(|e| {
                    Error::io(format!("could not give {} to {SERVER_OS_USER}", path.display()), e)
                })?;
            }
        }
        let mut server = Server {
            data: dir.path().join("data"),
            log: dir.path().join("log"),
            pg_ctl: bindir.join("pg_ctl"),
            run_as,
            watchdog: None,
            dir,
        };
        // From here on, dropping `server` (on any error below) cleans up; the watchdog comes
        // first so that even a crash during initdb leaves nothing behind.
        server.watchdog = Some(server.spawn_watchdog()?);
        server.initdb(bindir)?;
        server.configure(&sock, opts)?;
        let port = server.start_postmaster()?;
        Ok((server, port))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    fn initdb(&self, bindir: &Path) -> Result<(), Error> {
        let initdb = bindir.join("initdb");
        let mut result = Ok(());
        // C.UTF-8 sorts like C but lets the server handle non-ASCII text properly; older C
        // libraries (glibc < 2.35 outside Debian, musl, macOS) may not have it.
        for locale in ["--locale=C.UTF-8", "--locale=C"] {
            // A failed attempt can leave a partial data directory that initdb would refuse.
            let _ = fs::remove_dir_all(&self.data);
            let args = [
                OsStr::new("-D"),
                self.data.as_os_str(),
                OsStr::new("-U"),
                OsStr::new(SUPERUSER),
                OsStr::new("--auth=trust"),
                OsStr::new("-E"),
                OsStr::new("UTF8"),
                OsStr::new(locale),
                OsStr::new("--no-sync"),
            ];
            result = run(&mut self.command(&initdb, &args), None, "initdb").map(drop);
            if result.is_ok() {
                break;
            }
        }
        result
    }

    fn configure(&self, sock: &Path, opts: &ClusterOptions) -> Result<(), Error> {
        let hba = self.data.join("pg_hba.conf");
        fs::write(&hba, PG_HBA)
            .map_err(|e| Error::io(format!("could not write {}", hba.display()), e))?;
        let sock = sock.to_string_lossy();
        let defaults = [
            ("listen_addresses", "127.0.0.1"),
            ("unix_socket_directories", &sock),
            // Logical replication is part of what pggraft does; it needs these at start-up.
            ("wal_level", "logical"),
            ("max_wal_senders", "10"),
            ("max_replication_slots", "10"),
            // Tests run in parallel threads, each with a few connections.
            ("max_connections", "200"),
            // Durability is worthless for a throwaway cluster; speed is not.
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("shared_buffers", "128MB"),
            // pg_hba.conf asks for scram; servers before 14 would store md5 hashes instead.
            ("password_encryption", "scram-sha-256"),
        ];
        let mut conf = String::from("\n# Added by pg-sandbox; later lines win.\n");
        let extra = opts.settings.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        for (name, value) in defaults.into_iter().chain(extra) {
            conf.push_str(&format!("{name} = {}\n", conf_quote(value)));
        }
        self.append_conf(&conf)
    }

    fn append_conf(&self, text: &str) -> Result<(), Error> {
        let path = self.data.join("postgresql.conf");
        OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| Error::io(format!("could not append to {}", path.display()), e))
    }

    fn start_postmaster(&self) -> Result<u16, Error> {
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            self.append_conf(&format!("port = {port}\n"))?;
            let args = [
                OsStr::new("start"),
                OsStr::new("-D"),
                self.data.as_os_str(),
                OsStr::new("-l"),
                self.log.as_os_str(),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("60"),
            ];
            let Err(err) = run(&mut self.command(&self.pg_ctl, &args), None, "pg_ctl start") else {
                return Ok(port);
            };
            let log_tail = log_tail(&self.log);
            // Only a lost race for the port is worth another try; any other cause (bad
            // setting, no shared memory) would fail again the same way.
            if attempt < START_ATTEMPTS && port_taken(&log_tail) {
                attempt += 1;
                continue;
            }
            let reason = match err {
                Error::Command { what, status, .. } => format!("{what} on port {port}: {status}"),
                other => other.to_string(),
            };
            return Err(Error::Start { reason, log_tail });
        }
    }

    /// Stops the server as an administrator would (`pg_ctl stop -m fast`: sessions are ended),
    /// keeping its files, for [`Server::start_again`].
    pub fn stop_now(&self) -> Result<(), Error> {
        let args = [
            OsStr::new("stop"),
            OsStr::new("-D"),
            self.data.as_os_str(),
            OsStr::new("-m"),
            OsStr::new("fast"),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new("30"),
        ];
        run(&mut self.command(&self.pg_ctl, &args), None, "pg_ctl stop").map(drop)
    }

    /// Starts a server stopped by [`Server::stop_now`] again, on the same port.
    pub fn start_again(&self) -> Result<(), Error> {
        let args = [
            OsStr::new("start"),
            OsStr::new("-D"),
            self.data.as_os_str(),
            OsStr::new("-l"),
            self.log.as_os_str(),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new("60"),
        ];
        run(&mut self.command(&self.pg_ctl, &args), None, "pg_ctl start").map(drop)
    }

    fn stop(&mut self) {
        for mode in ["fast", "immediate"] {
            let args = [
                OsStr::new("stop"),
                OsStr::new("-D"),
                self.data.as_os_str(),
                OsStr::new("-m"),
                OsStr::new(mode),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("30"),
            ];
            if run(&mut self.command(&self.pg_ctl, &args), None, "pg_ctl stop").is_ok() {
                return;
            }
        }
        // Leave the directory to the watchdog and set it off now: dropping its `Child` closes
        // the pipe it waits on, and it tries `-m immediate` once more before removing the files.
        self.dir.disable_cleanup(true);
        self.watchdog = None;
        eprintln!(
            "pg-sandbox: could not stop the server in {}; stop it with `pg_ctl stop -D {0} -m immediate`",
            self.data.display()
        );
    }

    fn spawn_watchdog(&self) -> Result<Child, Error> {
        let stop: Vec<OsString> = [
            OsStr::new("stop"),
            OsStr::new("-D"),
            self.data.as_os_str(),
            OsStr::new("-m"),
            OsStr::new("immediate"),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new("30"),
        ]
        .into_iter()
        .map(OsStr::to_owned)
        .collect();
        // `read` returns at EOF, i.e. when the last writer of the pipe (this process) is gone.
        // HUP and INT are ignored so that closing the terminal or Ctrl-C, which end this
        // process, do not also end its cleaner.
        let mut script = OsString::from("trap '' HUP INT; read -r line; ");
        script.push(shell_join(&self.argv(&self.pg_ctl, &stop)));
        script.push(" >/dev/null 2>&1; rm -rf -- ");
        script.push(shell_quote(self.dir.path().as_os_str()));
        Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            // Its own process group, so signals aimed at the test's group do not reach it.
            .process_group(0)
            .spawn()
            .map_err(|e| Error::io("could not start the clean-up watchdog (/bin/sh)", e))
    }

    /// A command that runs `program` as the server's OS user.
    fn command(&self, program: &Path, args: &[&OsStr]) -> Command {
        let args: Vec<OsString> = args.iter().map(|a| a.to_os_string()).collect();
        let argv = self.argv(program, &args);
        let mut cmd = Command::new(&argv[0]);
        // The caller's working directory (often /root) may be closed to the postgres user.
        cmd.args(&argv[1..]).current_dir(self.dir.path());
        cmd
    }

    fn argv(&self, program: &Path, args: &[OsString]) -> Vec<OsString> {
        let mut argv = vec![program.as_os_str().to_owned()];
        argv.extend_from_slice(args);
        match &self.run_as {
            None => argv,
            Some(run_as) => run_as.wrap(argv),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            self.stop();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

/// How to run the server as `postgres` when we are root.
#[derive(Debug)]
struct RunAs {
    uid: u32,
    gid: u32,
    via: Via,
}

#[derive(Debug)]
enum Via {
    Runuser(PathBuf),
    /// For systems without util-linux's runuser.
    Su(PathBuf),
}

impl RunAs {
    fn detect() -> Result<Option<RunAs>, Error> {
        // /proc/self belongs to the effective uid; this avoids libc (and `unsafe`).
        let is_root = fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        if !is_root {
            return Ok(None);
        }
        let Some((uid, gid)) = passwd_ids(SERVER_OS_USER) else {
            return Err(Error::CannotDropRoot {
                missing: "there is no `postgres` OS user in /etc/passwd to run the server as",
                fix: "create one, e.g. `useradd --system postgres`",
            });
        };
        let via = if let Some(path) = which("runuser") {
            Via::Runuser(path)
        } else if let Some(path) = which("su") {
            Via::Su(path)
        } else {
            return Err(Error::CannotDropRoot {
                missing: "neither runuser nor su is installed to run the server as `postgres`",
                fix: "install util-linux",
            });
        };
        Ok(Some(RunAs { uid, gid, via }))
    }

    fn wrap(&self, argv: Vec<OsString>) -> Vec<OsString> {
        let mut wrapped: Vec<OsString> = match &self.via {
            Via::Runuser(runuser) => [
                runuser.as_os_str(),
                OsStr::new("-u"),
                OsStr::new(SERVER_OS_USER),
                OsStr::new("--"),
            ]
            .map(OsStr::to_owned)
            .to_vec(),
            Via::Su(su) => {
                let line = shell_join(&argv);
                let head = [su.as_os_str(), OsStr::new(SERVER_OS_USER), OsStr::new("-s")];
                let mut head: Vec<OsString> = head.map(OsStr::to_owned).to_vec();
                head.extend(["/bin/sh".into(), "-c".into(), line]);
                return head;
            }
        };
        wrapped.extend(argv);
        wrapped
    }
}

/// uid and gid of `user`, from /etc/passwd.
fn passwd_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    })
}

/// Finds a program on $PATH or in the sbin directories that a non-login PATH may lack.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> Result<u16, Error> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| Error::io("could not find a free TCP port on 127.0.0.1", e))
}

fn port_taken(log: &str) -> bool {
    let log = log.to_ascii_lowercase();
    ["could not bind", "address already in use", "could not create any tcp/ip sockets"]
        .iter()
        .any(|needle| log.contains(needle))
}

fn log_tail(path: &Path) -> String {
    const LINES: usize = 20;
    let Ok(log) = fs::read(path) else {
        return format!("(no log at {})", path.display());
    };
    let log = String::from_utf8_lossy(&log);
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(LINES)..].join("\n");
    if tail.is_empty() { "(the log is empty)".to_owned() } else { tail }
}

/// Quotes a postgresql.conf value. Every setting accepts the quoted form, and inside quotes
/// the file format treats backslashes as escapes.
fn conf_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_values_are_quoted() {
        assert_eq!(conf_quote("it's"), "'it''s'");
        assert_eq!(conf_quote(r"C:\x"), r"'C:\\x'");
    }

    #[test]
    fn su_gets_one_shell_line() {
        let run_as = RunAs { uid: 1, gid: 1, via: Via::Su("/bin/su".into()) };
        let argv = run_as.wrap(vec!["/usr/bin/pg_ctl".into(), "-D".into(), "/tmp/a b".into()]);
        let expected =
            ["/bin/su", "postgres", "-s", "/bin/sh", "-c", "/usr/bin/pg_ctl -D '/tmp/a b'"];
        assert_eq!(argv, expected.map(OsString::from));
    }
}
