//! The project picker on a large cluster: 2,000 projects holding 100,000 objects on the
//! emulated API server. lifeboat's time from choosing "Project export" in the palette to the
//! first rows of projects, and to every kind counted, against what an engineer types for the
//! same facts on the same server: `kubectl get namespaces` and `kubectl get all -A -o name`.
//! Also how long a key typed into the filter takes to show while counts are still arriving.

use std::time::{Duration, Instant};

use super::common::Sandbox;
use super::measure::{alternate, measure, median, median_wall_secs, report};
use super::tui::{screen, start, tmux};

fn size() -> (usize, usize) {
    if super::quick() {
        (200, 10_000)
    } else {
        (2_000, 100_000)
    }
}

/// Seconds to each mark of one picker opening: first rows, a filter key shown, all counted.
struct Opening {
    first_rows: f64,
    key_shown: f64,
    counted: f64,
}

pub fn run() {
    let (projects, objects) = size();
    let sandbox = Sandbox::up_with(
        1,
        &[
            "--seed-projects",
            &projects.to_string(),
            "--seed-objects",
            &objects.to_string(),
        ],
    );
    let env = sandbox.env();
    let exports: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
    let home = sandbox.lifeboat.home.path().display().to_string();
    let ours = format!(
        "env {exports} HOME={home} XDG_STATE_HOME={home}/state XDG_CONFIG_HOME={home}/config {}",
        env!("CARGO_BIN_EXE_lifeboat")
    );
    let last = format!("bench-{:04}", projects - 1);
    let (openings, namespaces) = alternate(
        super::rounds(),
        |_| open_picker(&ours, &last),
        |_| measure(&mut sandbox.kubectl_command(&["get", "namespaces"])),
    );
    let all = (0..super::rounds())
        .map(|_| measure(&mut sandbox.kubectl_command(&["get", "all", "-A", "-o", "name"])))
        .collect::<Vec<_>>();
    let case = format!("picker {projects} projects");
    report(
        &case,
        "first rows",
        median(openings.iter().map(|o| o.first_rows).collect()),
        median_wall_secs(&namespaces),
        "s",
    );
    report(
        &format!("picker, {objects} objects"),
        "all counted",
        median(openings.iter().map(|o| o.counted).collect()),
        median_wall_secs(&all),
        "s",
    );
    println!(
        "{:<28} {:<18} lifeboat {:>10.3} s     (a filter key typed while counting, until shown)",
        case,
        "key while counting",
        median(openings.iter().map(|o| o.key_shown).collect()),
    );
}

/// Starts the dashboard, opens the project picker from the palette and times its marks.
fn open_picker(command: &str, last: &str) -> Opening {
    start(command);
    wait_for("Members (", Duration::from_secs(30));
    let _ = tmux(&["send-keys", "-t", "bench", ":"]);
    let _ = tmux(&["send-keys", "-t", "bench", "-l", "export"]);
    wait_for(":export", Duration::from_secs(5));
    let started = Instant::now();
    let _ = tmux(&["send-keys", "-t", "bench", "Enter"]);
    wait_for("bench-0000", Duration::from_secs(60));
    let first_rows = started.elapsed().as_secs_f64();
    let typed = Instant::now();
    let _ = tmux(&["send-keys", "-t", "bench", "-l", last]);
    let filtered = wait_for("Projects: 1 shown", Duration::from_secs(10));
    let key_shown = typed.elapsed().as_secs_f64();
    // The key answered while counts were still arriving, or the figure says nothing.
    let while_counting = filtered.contains("kinds to go");
    wait_for("all objects counted", Duration::from_secs(300));
    let counted = started.elapsed().as_secs_f64();
    let _ = tmux(&["kill-server"]);
    if !while_counting {
        eprintln!("note: the counts were complete before the filter key was shown");
    }
    Opening {
        first_rows,
        key_shown,
        counted,
    }
}

/// Polls the screen until it shows `marker`; the screen it showed.
fn wait_for(marker: &str, patience: Duration) -> String {
    let started = Instant::now();
    loop {
        let shown = screen();
        if shown.contains(marker) {
            return shown;
        }
        assert!(
            started.elapsed() < patience,
            "no {marker:?} on screen:\n{shown}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
