//! Owns the terminal and the tasks; turns their results into messages and effects into tasks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::{Notify, mpsc, watch};

use super::app::App;
use super::msg::{Effect, Msg};
use super::terminal::{self, Tui};
use super::update::update;
use super::view;
use crate::commands::plan_with;
use crate::connection::{ConnectionSettings, Endpoints};
use crate::health::{HealthSources, collect};
use crate::plan::{Plan, Target};
use crate::procedures::Procedure;
use crate::run::{ConfirmPolicy, Interrupt, PlanOutcome, Runner, Transcript};

/// Opens the dashboard and runs until the engineer quits; the terminal is restored on every
/// way out.
pub async fn run(connection: Option<ConnectionSettings>, sandbox_dir: PathBuf) -> Result<()> {
    let mut tui = terminal::enter()?;
    let mut app = App::new(connection, sandbox_dir, jiff::Timestamp::now());
    let result = event_loop(&mut tui, &mut app, None).await;
    terminal::leave();
    result
}

/// Opens the wizard on a plan made from the command line (member recovery takes its choices
/// as flags) and runs it with every step confirmed on screen. Returns how the plan ended, or
/// `None` when the engineer quit before it did.
pub async fn run_wizard(
    plan: Plan,
    connection: Option<ConnectionSettings>,
    sandbox_dir: PathBuf,
) -> Result<Option<PlanOutcome>> {
    let transcript = Transcript::open(&crate::paths::state_dir()?)?;
    let mut tui = terminal::enter()?;
    let target = connection.as_ref().map(|c| c.target.clone());
    let mut app = App::new(connection, sandbox_dir, jiff::Timestamp::now());
    let result = event_loop(&mut tui, &mut app, Some((plan, target, transcript))).await;
    terminal::leave();
    result?;
    Ok(app.wizard.and_then(|wizard| wizard.finished))
}

/// Background refresh of the cluster snapshot, at an interval the engineer can change.
struct Refresher {
    interval: watch::Sender<Duration>,
    now: Arc<Notify>,
}

impl Refresher {
    fn start(sources: HealthSources, every: Duration, tx: mpsc::UnboundedSender<Msg>) -> Self {
        let (interval, mut interval_rx) = watch::channel(every);
        let now = Arc::new(Notify::new());
        let wake = now.clone();
        tokio::spawn(async move {
            loop {
                // Every call inside has its own timeout, so a hanging member delays one
                // snapshot by seconds at most and never the screen.
                let report = collect(&sources).await;
                if tx.send(Msg::Health(Box::new(report))).is_err() {
                    break;
                }
                let every = *interval_rx.borrow_and_update();
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = wake.notified() => {}
                    changed = interval_rx.changed() => if changed.is_err() { break },
                }
            }
        });
        Refresher { interval, now }
    }
}

async fn event_loop(
    tui: &mut Tui,
    app: &mut App,
    first_plan: Option<(Plan, Option<Endpoints>, Transcript)>,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    spawn_input(tx.clone());
    spawn_clock(tx.clone());
    // Quitting, and SIGTERM (Ctrl-C is a key in raw mode), stop a running plan between steps;
    // the screen stays until its always-run steps have run.
    let stop = Interrupt::new();
    let signals = stop.on_signals(|_| {}).wrap_err("listening for SIGTERM")?;
    let result = event_loop_with(tui, app, first_plan, &tx, &mut rx, &stop).await;
    signals.abort();
    result
}

async fn event_loop_with(
    tui: &mut Tui,
    app: &mut App,
    first_plan: Option<(Plan, Option<Endpoints>, Transcript)>,
    tx: &mpsc::UnboundedSender<Msg>,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    stop: &Interrupt,
) -> Result<()> {
    if let Some((plan, target, transcript)) = first_plan {
        let _ = tx.send(Msg::PlanReady(plan.clone()));
        spawn_runner(plan, target, transcript, tx.clone(), stop.clone());
    }
    let mut refresher: Option<Refresher> = None;
    loop {
        if refresher.is_none() {
            if let Some(connection) = &app.connection {
                let sources = HealthSources::discover_on_host(connection.clone());
                refresher = Some(Refresher::start(sources, app.refresh_every, tx.clone()));
            }
        }
        tui.draw(|frame| view::draw(frame, app))
            .wrap_err("drawing the screen")?;
        let Some(first) = rx.recv().await else {
            return Ok(());
        };
        // Apply everything already queued before drawing again.
        let mut effects = update(app, first);
        while let Ok(msg) = rx.try_recv() {
            effects.extend(update(app, msg));
        }
        for effect in effects {
            match effect {
                Effect::Quit if plan_running(app) => {
                    stop.trigger();
                    app.notice = Some(STOPPING.into());
                }
                Effect::Quit => return Ok(()),
                Effect::RefreshNow => {
                    if let Some(r) = &refresher {
                        r.now.notify_one();
                    }
                }
                Effect::SetRefreshInterval(every) => {
                    if let Some(r) = &refresher {
                        r.interval.send_replace(every);
                    }
                }
                Effect::StartSandbox => spawn_sandbox(app.sandbox_dir.clone(), tx.clone()),
                Effect::StartPlan(procedure) => {
                    start_plan(procedure, app.connection.clone(), tx.clone(), stop.clone())
                }
                Effect::LoadWorkloads => {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let result = crate::commands::appdata::all_workloads().await;
                        let _ = tx.send(Msg::Workloads(result));
                    });
                }
                Effect::StartAppData(request) => start_app_data(request, tx.clone(), stop.clone()),
                Effect::LoadProjects => super::project_tasks::load_projects(tx.clone()),
                Effect::LoadBackups => super::project_tasks::load_backups(tx.clone()),
                Effect::StartProjectExport {
                    projects,
                    kinds,
                    excluded,
                } => start_project_plan(
                    crate::commands::plan_export_of(projects, kinds, excluded),
                    tx.clone(),
                    stop.clone(),
                ),
                Effect::StartProjectRestore {
                    from,
                    rename,
                    preview,
                } => start_project_plan(
                    async move {
                        crate::commands::plan_restore(&crate::cli::ProjectRestoreArgs {
                            from,
                            rename,
                            existing: crate::kube::ExistingPolicy::Skip,
                            preview,
                            yes: false,
                            dry_run: false,
                            headless: false,
                        })
                        .await
                    },
                    tx.clone(),
                    stop.clone(),
                ),
            }
        }
        if stop.is_set() && !app.quit {
            // SIGTERM: stop as quitting does.
            app.quit = true;
            app.notice = Some(STOPPING.into());
        }
        if app.quit && !plan_running(app) {
            return Ok(());
        }
    }
}

const STOPPING: &str = "Stopping: the current step ends, then the always-run steps (cleanup, \
                        restarting what was stopped) run; lifeboat quits when they are done.";

/// Whether a plan's runner is still working (quitting waits for its always-run steps).
fn plan_running(app: &App) -> bool {
    app.wizard.as_ref().is_some_and(|w| w.is_running())
}

fn spawn_input(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let msg = match event {
                Event::Key(key) if key.kind == KeyEventKind::Press => Msg::Key(key),
                // A resize only needs a redraw, which any message brings.
                Event::Resize(..) => Msg::Tick(jiff::Timestamp::now()),
                _ => continue,
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
}

fn spawn_clock(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if tx.send(Msg::Tick(jiff::Timestamp::now())).is_err() {
                break;
            }
        }
    });
}

fn spawn_sandbox(dir: PathBuf, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = crate::sandbox::up(&dir, 3)
            .await
            .map(|state| state.connection(&dir))
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::SandboxReady(result));
    });
}

/// Plans the procedure, then runs it with every step confirmed on screen.
fn start_plan(
    procedure: Procedure,
    connection: Option<ConnectionSettings>,
    tx: mpsc::UnboundedSender<Msg>,
    stop: Interrupt,
) {
    tokio::spawn(async move {
        let Some(connection) = connection else {
            let _ = tx.send(Msg::PlanFailedToStart(
                "no etcd cluster is configured".into(),
            ));
            return;
        };
        let transcript = match crate::paths::state_dir().and_then(|dir| Transcript::open(&dir)) {
            Ok(transcript) => transcript,
            Err(error) => {
                let _ = tx.send(Msg::PlanFailedToStart(format!("{error:#}")));
                return;
            }
        };
        let target = connection.target.clone();
        let plan = match plan_with(procedure, connection, Target::Local).await {
            Ok(plan) => plan,
            Err(error) => {
                let _ = tx.send(Msg::PlanFailedToStart(format!("{error:#}")));
                return;
            }
        };
        let _ = tx.send(Msg::PlanReady(plan.clone()));
        spawn_runner(plan, Some(target), transcript, tx, stop);
    });
}

/// Finds the pod, plans the application data copy, then runs it confirmed on screen.
fn start_app_data(request: super::AppDataRequest, tx: mpsc::UnboundedSender<Msg>, stop: Interrupt) {
    tokio::spawn(async move {
        let planned = async {
            let transcript = Transcript::open(&crate::paths::state_dir()?)?;
            let plan = crate::commands::appdata::plan_request(&request).await?;
            Ok::<_, color_eyre::eyre::Report>((plan, transcript))
        };
        match planned.await {
            Ok((plan, transcript)) => {
                let _ = tx.send(Msg::PlanReady(plan.clone()));
                spawn_runner(plan, None, transcript, tx, stop);
            }
            Err(error) => {
                let _ = tx.send(Msg::PlanFailedToStart(format!("{error:#}")));
            }
        }
    });
}

/// Plans a project export or restore (no etcd needed), then runs it as any other plan.
fn start_project_plan(
    planning: impl std::future::Future<Output = Result<Plan>> + Send + 'static,
    tx: mpsc::UnboundedSender<Msg>,
    stop: Interrupt,
) {
    tokio::spawn(async move {
        let planned = match planning.await {
            Ok(plan) => crate::paths::state_dir()
                .and_then(|dir| Transcript::open(&dir))
                .map(|transcript| (plan, transcript)),
            Err(error) => Err(error),
        };
        match planned {
            Ok((plan, transcript)) => {
                let _ = tx.send(Msg::PlanReady(plan.clone()));
                spawn_runner(plan, None, transcript, tx, stop);
            }
            Err(error) => {
                let _ = tx.send(Msg::PlanFailedToStart(format!("{error:#}")));
            }
        }
    });
}

/// Runs `plan`, forwarding its events and questions to the UI as messages.
fn spawn_runner(
    plan: Plan,
    target: Option<Endpoints>,
    transcript: Transcript,
    tx: mpsc::UnboundedSender<Msg>,
    stop: Interrupt,
) {
    tokio::spawn(async move {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let (confirm_tx, mut confirms) = mpsc::channel(1);
        let forward_events = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let _ = forward_events.send(Msg::Run(event));
            }
        });
        let forward_confirms = tx;
        tokio::spawn(async move {
            while let Some(request) = confirms.recv().await {
                let _ = forward_confirms.send(Msg::Confirm(Box::new(request)));
            }
        });
        let mut runner = Runner::new(ConfirmPolicy::Ask(confirm_tx), events_tx)
            .with_transcript(transcript)
            .with_interrupt(stop);
        if let Some(target) = target {
            runner = runner.with_etcd(target);
        }
        runner.run(&plan).await;
    });
}
