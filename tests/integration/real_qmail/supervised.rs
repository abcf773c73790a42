//! `qtriage mta stop` / `start` against the real qmail-send run under daemontools' supervise,
//! configured with `svc -d` / `svc -u` as an operator's /etc/qtriage.conf would be.

use super::kit::RealQmail;
use crate::util::poll;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `supervise DIR`, stopped on drop (also when the test fails): `svc -dx` takes qmail-send
/// down and makes supervise exit; supervise is then waited for by its pid.
struct Supervise {
    child: Child,
    service: PathBuf,
}

impl Supervise {
    fn start(service: &Path) -> Supervise {
        let child = Command::new("supervise")
            .arg(service)
            .stdin(Stdio::null())
            .spawn()
            .expect("supervise");
        let sup = Supervise {
            child,
            service: service.to_path_buf(),
        };
        // supervise creates its control fifo when it is ready for svc.
        poll(|| service.join("supervise/ok").exists().then_some(()))
            .expect("supervise did not start");
        sup
    }
}

impl Drop for Supervise {
    fn drop(&mut self) {
        let _ = Command::new("svc").arg("-dx").arg(&self.service).status();
        poll(|| (!matches!(self.child.try_wait(), Ok(None))).then_some(()));
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn has_daemontools() -> bool {
    ["supervise", "svc"].iter().all(|p| {
        Command::new("sh")
            .args(["-c", &format!("command -v {p} >/dev/null")])
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[test]
fn mta_stop_and_start_a_supervised_qmail_send() {
    let Some(q) = RealQmail::acquire("mta_stop_and_start_a_supervised_qmail_send") else {
        return;
    };
    if !has_daemontools() {
        println!("real_qmail: mta test not run: daemontools (supervise, svc) missing");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let service = dir.path().join("qmail-send");
    std::fs::create_dir(&service).expect("service dir");
    let log = dir.path().join("send.log");
    let run = format!(
        "#!/bin/sh\ncd / || exit 1\nexec env - PATH=\"{bin}:/usr/bin:/bin\" qmail-start ./Maildir/ \
         cat >>{log} 2>&1\n",
        bin = q.kit.prefix.join("bin").display(),
        log = log.display()
    );
    std::fs::write(service.join("run"), run).expect("run");
    std::fs::set_permissions(service.join("run"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod run");
    // `down`: supervise does not start it by itself; `mta start` does.
    std::fs::write(service.join("down"), "").expect("down");
    let config = dir.path().join("qtriage.conf");
    std::fs::write(
        &config,
        format!(
            "mta_stop = svc -d {s}\nmta_start = svc -u {s}\nmta_wait = 60\n",
            s = service.display()
        ),
    )
    .expect("config");
    let _sup = Supervise::start(&service);
    let cfg = config.to_str().expect("utf-8 path");

    // A PHP script's message to a remote address: deferred (nothing listens), so it stays.
    let msg = b"To: w@remote.example\nSubject: newsletter\n\nhello\n";
    q.feed("sendmail", super::WEB_UID, &["-t", "-i"], &[], msg);
    assert_eq!(q.run(&["mta"], 0), "qmail-send: stopped\n");
    let out = q.run(&["mta", "--config", cfg, "start"], 0);
    assert!(out.contains("qmail-send: running (pid "), "{out}");
    assert!(
        out.contains("qmail-send)"),
        "the holder is the real qmail-send: {out}"
    );
    let refused = q
        .qtriage()
        .args(["yank", "uid:48", "--apply"])
        .output()
        .expect("yank");
    crate::util::assert_exit(&refused, 2);

    let out = q.run(&["mta", "--config", cfg, "stop"], 0);
    assert_eq!(out, "qmail-send: stopped\n");
    // Stopped for real: qtriage takes the lock and acts now.
    let out = q.run(&["yank", "uid:48", "--apply"], 0);
    assert!(out.starts_with("yanked 1 message ("), "{out}");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("status: exiting"),
        "qmail-send exited cleanly: {text}"
    );
}
