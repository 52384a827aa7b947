//! The real binary in a real terminal: tmux on a socket of its own, keys sent one by one, the
//! screen read back with capture-pane.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `program` in a `width`×`height` terminal with `env` set.
    pub fn start(name: &str, env: &[(String, String)], program: &str, size: (u16, u16)) -> Self {
        let tmux = Tmux {
            socket: format!("lifeboat-{name}-{}", std::process::id()),
        };
        let assignments: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let script = format!(
            "env {} {program}; echo lifeboat-exited-$?; sleep 120",
            assignments.join(" ")
        );
        let (width, height) = (size.0.to_string(), size.1.to_string());
        let started = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &width,
            "-y",
            &height,
            &script,
        ]);
        assert!(started.status.success(), "{}", super::text(&started));
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Named keys as tmux spells them: `Enter`, `Tab`, `BTab`, `Escape`, `BSpace`, `Right`.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "t", key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Text typed as it is.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// Waits until the screen shows `what`, failing with the screen after `seconds`.
    pub fn wait_for(&self, what: &str, seconds: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited {seconds}s for {what:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Answers the wizard's questions until its summary: `n` runs to the next destructive step,
    /// `y` runs that one on its own key.
    pub fn run_plan_to_summary(&self, seconds: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let screen = self.screen();
            if screen.contains(" Summary ") {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the plan did not finish in {seconds}s:\n{screen}"
            );
            if screen.contains("(destructive)?") {
                self.keys(&["y"]);
            } else if screen.contains("?   y run") {
                self.keys(&["n"]);
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl super::Sandbox {
    /// lifeboat in tmux against this sandbox, with its backups and transcript in the test's
    /// own home.
    pub fn lifeboat_in_tmux(&self, name: &str, program: &str) -> Tmux {
        let home = self.lifeboat.home.path();
        let mut env = self.env();
        env.push(("HOME".into(), home.display().to_string()));
        for (variable, dir) in [("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data")] {
            env.push((variable.into(), home.join(dir).display().to_string()));
        }
        Tmux::start(name, &env, program, (160, 48))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
