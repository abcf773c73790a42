//! The command lines a dry run prints: the one that was run with `--apply` added, each argument
//! one shell word that pastes back as itself.

/// The command line that was run, with `--apply` added: what the dry run tells the operator.
pub fn apply_command(queue_root: &std::path::Path) -> String {
    apply_command_with("--apply", queue_root)
}

/// The command line that was run, with `flag` added, and the queue as `--queue` with the
/// absolute path it was opened at, first: a relative `--queue .` pasted elsewhere, or a queue
/// that came from QTRIAGE_QUEUE pasted where it is not set, applied to another queue or none
/// (script53); `undo with:` lines were already built so.
pub fn apply_command_with(flag: &str, queue_root: &std::path::Path) -> String {
    // `args_os`: `args` panics on an argument that is not UTF-8 (a `--queue` path can be one).
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    apply_words(&args, Some(flag), queue_root, &Here::of_this_process()).join(" ")
}

/// Where a command ran: its directory, and the environment that chose what it selected.
struct Here {
    /// The working directory relative paths were read against.
    cwd: std::path::PathBuf,
    /// QTRIAGE_LOGS, when set (the `--log` default).
    logs: Option<std::ffi::OsString>,
    /// QTRIAGE_VPOPMAIL, when set (the `--vpopmail` default of the actions that select).
    vpopmail: Option<std::ffi::OsString>,
    /// QTRIAGE_NOW, when set (the "now" of `age:` and of the ranking's rates).
    now: Option<std::ffi::OsString>,
}

impl Here {
    /// `v` (one path, which may hold a colon: review54 saw `--ids /tmp/d:1/ids.txt` printed as
    /// `--ids /tmp/d:/home/op/1/ids.txt`) read against this directory, as one shell word.
    fn absolute_one(&self, v: &std::ffi::OsStr) -> String {
        use std::os::unix::ffi::OsStrExt;
        match v.as_bytes() {
            b"-" | b"" => shell_quote(v),
            _ => shell_quote(self.cwd.join(v).as_os_str()),
        }
    }

    /// A colon-separated list of paths (`--log`'s value, as QTRIAGE_LOGS), each part read
    /// against this directory, as one shell word.
    fn absolute_list(&self, v: &std::ffi::OsStr) -> String {
        use std::os::unix::ffi::OsStrExt;
        let parts: Vec<std::path::PathBuf> = (v.as_bytes().split(|&b| b == b':'))
            .map(|p| match p {
                b"-" | b"" => std::path::PathBuf::from(std::ffi::OsStr::from_bytes(p)),
                _ => self.cwd.join(std::ffi::OsStr::from_bytes(p)),
            })
            .collect();
        let joined = (parts.iter().map(|p| p.as_os_str().as_bytes()))
            .collect::<Vec<_>>()
            .join(&b':');
        shell_quote(std::ffi::OsStr::from_bytes(&joined))
    }

    /// The value of path option `name` ([`PATH_OPTIONS`]) made absolute.
    fn absolute(&self, name: &str, v: &std::ffi::OsStr) -> String {
        match name {
            "--log" => self.absolute_list(v),
            _ => self.absolute_one(v),
        }
    }

    /// This process's directory and environment.
    fn of_this_process() -> Here {
        Here {
            cwd: std::env::current_dir().unwrap_or_default(),
            logs: std::env::var_os("QTRIAGE_LOGS").filter(|v| !v.is_empty()),
            vpopmail: std::env::var_os("QTRIAGE_VPOPMAIL").filter(|v| !v.is_empty()),
            now: std::env::var_os("QTRIAGE_NOW").filter(|v| !v.is_empty()),
        }
    }
}

/// Long options whose value is a path read against the working directory: made absolute, as
/// the queue is (review53b: a relative `--ids ids.txt` pasted in another directory yanked the
/// message that directory's `ids.txt` named). Not `--yank-dir` nor `remove`'s `-y`: those are
/// read against the queue, which the line names absolutely (review53c: made absolute against
/// the working directory, a pasted purge deleted another yank area's messages).
const PATH_OPTIONS: [&str; 4] = ["--ids", "--vpopmail", "--passwd", "--log"];

/// The commands that select messages by a query: their selection reads `--vpopmail`
/// (vpopmail's default domain), the logs and QTRIAGE_NOW, and their lines pin all three (see
/// [`environment_words`]).
const SELECTING: [&str; 4] = ["yank", "expire", "restore", "plan"];

/// The variables that choose what those commands select, when the command line does not.
const SELECTION_VARIABLES: [&str; 3] = ["QTRIAGE_LOGS", "QTRIAGE_NOW", "QTRIAGE_VPOPMAIL"];

/// The global options that take a value as the next word (before the subcommand).
const GLOBAL_WITH_VALUE: [&str; 3] = ["--queue", "--split", "--log"];

/// `remove`'s short options (qmail-remove's) that take a value; the others are flags.
const SHORT_WITH_VALUE: &str = "pnqsyxX";

/// [`apply_command_with`] of the arguments `args` (without the program) run `here`: each one
/// shell word; the queue's options dropped for `--queue ABSOLUTE` first (`--queue X`,
/// `--queue=X`, and `remove`'s `-q X`, `-qX`, also inside a cluster such as `-vq.`, which win
/// over `--queue`); path values absolute; the logs and vpopmail directory that came from the
/// environment written out (review53c: pasted where QTRIAGE_LOGS was not set, a yank took 300
/// messages where the dry run showed 180) and, for the commands that select, the variables
/// that were not set unset ([`environment_words`]); `flag` before a `--` (after it, a query
/// word).
fn apply_words(
    args: &[std::ffi::OsString],
    flag: Option<&str>,
    queue_root: &std::path::Path,
    here: &Here,
) -> Vec<String> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let given = |name: &str| given_on(args, name);
    let mut words = vec![
        "qtriage".to_string(),
        "--queue".into(),
        shell_quote(queue_root.as_os_str()),
    ];
    if let Some(logs) = here.logs.as_deref().filter(|_| !given("--log")) {
        words.push(format!("--log={}", here.absolute_list(logs)));
    }
    let vpopmail = (here.vpopmail.as_deref()).filter(|_| !given("--vpopmail"));
    let mut subcommand: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_bytes();
        let text = String::from_utf8_lossy(arg);
        if subcommand.is_none() && !text.starts_with('-') {
            subcommand = Some(text.to_string());
            words.push(shell_quote(&args[i]));
            if let Some(v) = vpopmail.filter(|_| SELECTING.contains(&&*text)) {
                words.extend(["--vpopmail".to_string(), here.absolute_one(v)]);
            }
            i += 1;
            continue;
        }
        if arg == b"--" {
            words.extend(flag.map(String::from));
            words.extend(args[i..].iter().map(|a| shell_quote(a)));
            return environment_words(here, subcommand.as_deref(), &given, words);
        }
        if let Some(name) = PATH_OPTIONS.iter().find(|o| text == **o) {
            words.push((*name).to_string());
            if let Some(v) = args.get(i + 1) {
                words.push(here.absolute(name, v));
            }
            i += 2;
            continue;
        }
        if let Some(name) = PATH_OPTIONS
            .iter()
            .find(|o| text.starts_with(&format!("{o}=")))
        {
            let value = std::ffi::OsString::from_vec(arg[name.len() + 1..].to_vec());
            words.push(format!("{name}={}", here.absolute(name, &value)));
            i += 1;
            continue;
        }
        if text == "--queue" {
            i += 2;
            continue;
        }
        if text.starts_with("--queue=") {
            i += 1;
            continue;
        }
        if subcommand.is_none() && GLOBAL_WITH_VALUE.contains(&&*text) {
            words.extend(
                args[i..(i + 2).min(args.len())]
                    .iter()
                    .map(|a| shell_quote(a)),
            );
            i += 2;
            continue;
        }
        if let Some((flags, taken)) = without_queue_option(arg) {
            words.extend(flags);
            i += taken;
            continue;
        }
        words.push(shell_quote(&args[i]));
        i += 1;
    }
    words.extend(flag.map(String::from));
    environment_words(here, subcommand.as_deref(), &given, words)
}

/// Whether option `name` is on the command line `args` (`NAME` or `NAME=...`, before a `--`).
fn given_on(args: &[std::ffi::OsString], name: &str) -> bool {
    let eq = format!("{name}=");
    (args.iter().map(|a| a.to_string_lossy()))
        .take_while(|a| a != "--")
        .any(|a| a == name || a.starts_with(&eq))
}

/// `arg`, a cluster of `remove`'s short options holding `-q`, without it: the flags before the
/// first option that takes a value stay (as one word, if any); `q` and its value (the rest of
/// the word, else the next word) go, so the words it takes (1 or 2) are returned with them.
/// `None` when `arg` is not such a cluster (any other option keeps its value as given).
fn without_queue_option(arg: &[u8]) -> Option<(Option<String>, usize)> {
    if arg.len() < 2 || arg[0] != b'-' || arg[1] == b'-' {
        return None;
    }
    let cluster = &arg[1..];
    let at = (cluster.iter()).position(|c| SHORT_WITH_VALUE.as_bytes().contains(c))?;
    if cluster[at] != b'q' {
        return None;
    }
    let flags = &cluster[..at];
    let flags = (!flags.is_empty()).then(|| format!("-{}", String::from_utf8_lossy(flags)));
    let taken = if cluster[at + 1..].is_empty() { 2 } else { 1 };
    Some((flags, taken))
}

/// `words` of a command that selects (yank, expire, restore, plan) behind `env`: `-u VAR` for
/// each of QTRIAGE_LOGS, QTRIAGE_VPOPMAIL and QTRIAGE_NOW that was not set here and not
/// overridden on the line, and `QTRIAGE_NOW=N` when it was set. Pasted into a shell that sets
/// them (root's profile, where the dry run ran under sudo), they chose other messages: 954
/// where the dry run showed 200, and `age:>1h` 1,042 where it showed 181 (review54). The
/// other commands' words as they are.
fn environment_words(
    here: &Here,
    subcommand: Option<&str>,
    given: &dyn Fn(&str) -> bool,
    words: Vec<String>,
) -> Vec<String> {
    if !subcommand.is_some_and(|s| SELECTING.contains(&s)) {
        return words;
    }
    let [logs, now, vpopmail] = SELECTION_VARIABLES;
    let mut env = vec!["env".to_string()];
    if here.logs.is_none() && !given("--log") {
        env.extend(["-u".to_string(), logs.to_string()]);
    }
    if here.now.is_none() {
        env.extend(["-u".to_string(), now.to_string()]);
    }
    if here.vpopmail.is_none() && !given("--vpopmail") {
        env.extend(["-u".to_string(), vpopmail.to_string()]);
    }
    if let Some(n) = &here.now {
        let mut assignment = std::ffi::OsString::from(format!("{now}="));
        assignment.push(n);
        env.push(shell_quote(&assignment));
    }
    if env.len() == 1 {
        return words;
    }
    env.extend(words);
    env
}

/// The `apply with:` line of a dry run's text: [`apply_command`], and after `--ids -` a note
/// that the ids go on stdin again (read once, pasted alone the line waits for them). JSON's
/// `apply_command` stays the bare command, which a script may split into arguments.
pub fn apply_line(queue_root: &std::path::Path) -> String {
    let words: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let from_stdin = words.windows(2).any(|w| w[0] == "--ids" && w[1] == "-")
        || words.iter().any(|w| w == "--ids=-");
    match from_stdin {
        true => format!(
            "{}  # with the same ids on stdin",
            apply_command(queue_root)
        ),
        false => apply_command(queue_root),
    }
}

/// The command that undoes batch `batch` of `plan`: `qtriage --queue Q restore --batch ID
/// --apply`, with `--split N` when one was given (`split`) and `--yank-dir D` when the yank area
/// is not the queue's default. Built from what the options resolved to, not from the command
/// line: `-qDIR`, `-q=DIR`, `-s=N` or `-yDIR` (remove's spellings), a queue from QTRIAGE_QUEUE
/// or a relative path were lost or kept as words `restore` does not take, and pasted the undo
/// found no batch. The queue and yank area are absolute (the queue is opened so), so the line
/// works from any directory.
pub fn undo_command(batch: &str, plan: &crate::actions::Plan, split: Option<u32>) -> String {
    undo_command_at(batch, &plan.queue_root, &plan.yank_dir, split)
}

/// [`undo_command`] of a batch moved from `queue_root` into `yank_dir`.
pub fn undo_command_at(
    batch: &str,
    queue_root: &std::path::Path,
    yank_dir: &std::path::Path,
    split: Option<u32>,
) -> String {
    let path = |p: &std::path::Path| shell_quote(p.as_os_str());
    let mut words = vec!["qtriage".to_string(), "--queue".into(), path(queue_root)];
    if let Some(n) = split {
        words.extend(["--split".into(), n.to_string()]);
    }
    words.extend(["restore", "--batch", batch].map(String::from));
    if yank_dir != crate::actions::default_yank_dir(queue_root) {
        words.extend(["--yank-dir".into(), path(yank_dir)]);
    }
    words.push("--apply".into());
    words.join(" ")
}

/// Of the command line that was run, the options named `names` with their values, as they
/// were given: what a command suggested to follow this one needs to read the same queue the
/// same way (`--log`, `--default-domain`, ...); [`command_line`] quotes them.
pub fn option_args(names: &[&str]) -> Vec<std::ffi::OsString> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--" {
            break;
        }
        if names.contains(&arg.as_ref()) {
            out.extend_from_slice(&args[i..(i + 2).min(args.len())]);
            i += 2;
            continue;
        }
        if names.iter().any(|g| arg.starts_with(&format!("{g}="))) {
            out.push(args[i].clone());
        }
        i += 1;
    }
    out
}

/// `qtriage ARGS` as shell words that act on what they acted on here, pasted anywhere (see
/// [`apply_words`]): the queue first and absolute, paths absolute, the environment's logs and
/// vpopmail directory written out.
pub fn command_line(args: &[std::ffi::OsString], queue_root: &std::path::Path) -> String {
    apply_words(args, None, queue_root, &Here::of_this_process()).join(" ")
}

/// `arg` as one shell word the operator can paste: bare when it is only safe characters,
/// else in single quotes; an argument with a control, bidi or other invisible character, or
/// bytes that are not UTF-8, in bash's `$'...'`, every byte outside printable ASCII as `\xNN`
/// and `'` and `\` escaped, so the line is safe on a terminal and pastes back to the same
/// bytes.
fn shell_quote(arg: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = arg.as_bytes();
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(b));
    match std::str::from_utf8(bytes) {
        Ok(s) if plain => s.to_string(),
        Ok(s) if !s.chars().any(crate::sanitize::needs_escape) => {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for &b in bytes {
                match b {
                    b'\'' | b'\\' => {
                        out.push('\\');
                        out.push(char::from(b));
                    }
                    0x20..=0x7e => out.push(char::from(b)),
                    _ => out.push_str(&format!("\\x{b:02x}")),
                }
            }
            out.push('\'');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        use std::os::unix::ffi::OsStrExt;
        let q = |b: &[u8]| shell_quote(std::ffi::OsStr::from_bytes(b));
        assert_eq!(q(b"auth:test"), "auth:test");
        assert_eq!(q(b"sender:a b"), "'sender:a b'");
        assert_eq!(q(b"it's"), r"'it'\''s'");
        assert_eq!(q("subject:café".as_bytes()), "'subject:café'");
        assert_eq!(q(b""), "''");
        assert_eq!(q(b"/q\x1b]0;x\x07"), r"$'/q\x1b]0;x\x07'");
        assert_eq!(q(b"/q\xff 'a\\b'"), r"$'/q\xff \'a\\b\''");
        assert_eq!(q("a\u{202e}b".as_bytes()), r"$'a\xe2\x80\xaeb'");
    }

    /// The pasted line acts on what the dry run showed, from any directory: every path
    /// absolute, the queue's options (`remove`'s `-q` in a cluster too) dropped for `--queue`
    /// first, and `--apply` before a `--` (review53b).
    #[test]
    fn the_apply_words_act_on_the_same_queue_and_files_anywhere() {
        let run = |args: &[&str], env: (Option<&str>, Option<&str>)| {
            let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
            let here = Here {
                cwd: "/home/op".into(),
                logs: env.0.map(Into::into),
                vpopmail: env.1.map(Into::into),
                now: Some("1700000000".into()),
            };
            apply_words(&args, Some("--apply"), std::path::Path::new("/q"), &here).join(" ")
        };
        let words = |args: &[&str]| run(args, (None, None));
        let relative = [
            "--queue",
            "../q",
            "yank",
            "--ids",
            "ids.txt",
            "--log=a:/l/b",
        ];
        assert_eq!(
            words(&relative),
            "env -u QTRIAGE_VPOPMAIL QTRIAGE_NOW=1700000000 qtriage --queue /q yank --ids \
             /home/op/ids.txt --log=/home/op/a:/l/b --apply"
        );
        // The yank area is the queue's: its relative path stays relative to the queue.
        assert_eq!(
            words(&["yank", "--ids", "-", "--yank-dir", "y", "--vpopmail", "/v"]),
            "env -u QTRIAGE_LOGS QTRIAGE_NOW=1700000000 qtriage --queue /q yank --ids - \
             --yank-dir y --vpopmail /v --apply"
        );
        assert_eq!(
            words(&["remove", "-p", "Dispute", "-vq.", "--json"]),
            "qtriage --queue /q remove -p Dispute -v --json --apply"
        );
        assert_eq!(
            words(&["remove", "-iq", ".", "-pq", "-yarea"]),
            "qtriage --queue /q remove -i -pq -yarea --apply"
        );
        assert_eq!(
            words(&["--queue=.", "yank", "--", "auth:test"]),
            "env -u QTRIAGE_LOGS -u QTRIAGE_VPOPMAIL QTRIAGE_NOW=1700000000 qtriage --queue /q \
             yank --apply -- auth:test"
        );
        // What the environment chose is written out (review53c).
        let env = (Some("lg"), Some("vp"));
        assert_eq!(
            run(&["--split", "7", "yank", "not auth:test"], env),
            "env QTRIAGE_NOW=1700000000 qtriage --queue /q --log=/home/op/lg --split 7 yank \
             --vpopmail /home/op/vp 'not auth:test' --apply"
        );
        assert_eq!(
            run(&["purge", "--all", "--log", "x"], env),
            "qtriage --queue /q purge --all --log /home/op/x --apply"
        );
    }

    /// The commands that select pin the variables that chose their messages: unset where the
    /// dry run had none (a shell that sets them chose 954 messages where it showed 200), set
    /// where it had them; a colon splits `--log`'s list only (review54: `--ids /tmp/d:1/x`
    /// became `/tmp/d:/home/op/1/x`).
    #[test]
    fn the_apply_words_pin_the_environment_and_keep_a_colon_in_one_path() {
        let args = |a: &[&str]| -> Vec<std::ffi::OsString> { a.iter().map(Into::into).collect() };
        let bare = Here {
            cwd: "/home/op".into(),
            logs: None,
            vpopmail: None,
            now: None,
        };
        let words = |a: &[&str], here: &Here| {
            apply_words(&args(a), Some("--apply"), std::path::Path::new("/q"), here).join(" ")
        };
        assert_eq!(
            words(&["expire", "auth:test"], &bare),
            "env -u QTRIAGE_LOGS -u QTRIAGE_NOW -u QTRIAGE_VPOPMAIL qtriage --queue /q expire \
             auth:test --apply"
        );
        assert_eq!(
            words(&["--log", "l", "plan", "--vpopmail", "v"], &bare),
            "env -u QTRIAGE_NOW qtriage --queue /q --log /home/op/l plan --vpopmail /home/op/v \
             --apply"
        );
        // remove and purge read none of them.
        assert_eq!(
            words(&["purge", "--all"], &bare),
            "qtriage --queue /q purge --all --apply"
        );
        let set = Here {
            cwd: "/home/op".into(),
            logs: Some("a:b".into()),
            vpopmail: Some("/srv/v:1".into()),
            now: Some("17 00".into()),
        };
        assert_eq!(
            words(
                &["yank", "--ids", "/tmp/d:1/ids.txt", "--passwd=p:w", "x"],
                &set
            ),
            "env 'QTRIAGE_NOW=17 00' qtriage --queue /q --log=/home/op/a:/home/op/b yank \
             --vpopmail /srv/v:1 --ids /tmp/d:1/ids.txt --passwd=/home/op/p:w x --apply"
        );
    }
}
