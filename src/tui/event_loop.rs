//! Owns the terminal and the tasks; turns their results into messages and effects into tasks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::{Notify, mpsc, watch};

use super::app::App;
use super::msg::{Effect, Msg};
use super::terminal::{self, Tui};
use super::update::update;
use super::view;
use crate::connection::{ConnectionSettings, Endpoints};
use crate::gather::defaults::plan_with;
use crate::health::{HealthSources, collect_keeping};
use crate::plan::{Plan, Target};
use crate::procedures::Procedure;
use crate::run::{ConfirmPolicy, Interrupt, PlanOutcome, Runner, Transcript};

/// Opens the dashboard and runs until the engineer quits; the terminal is restored on every
/// way out.
pub async fn run(connection: Option<ConnectionSettings>) -> Result<()> {
    let mut tui = terminal::enter()?;
    let mut app = App::new(connection, jiff::Timestamp::now());
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
) -> Result<Option<PlanOutcome>> {
    let transcript = Transcript::open(&crate::paths::state_dir()?)?;
    let mut tui = terminal::enter()?;
    let target = connection.as_ref().map(|c| c.target.clone());
    let mut app = App::new(connection, jiff::Timestamp::now());
    let result = event_loop(&mut tui, &mut app, Some((plan, target, transcript))).await;
    terminal::leave();
    result?;
    Ok(app.wizard.and_then(|wizard| wizard.finished))
}

/// How often the dashboard compares the members' hashes: `hashkv` reads each member's whole
/// keyspace, too much for every refresh of a large cluster, and a divergence does not heal.
const CONSISTENCY_EVERY: Duration = Duration::from_secs(60);

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
            let mut sources = sources;
            let mut consistency_checked: Option<Instant> = None;
            let mut consistency = None;
            loop {
                sources.consistency =
                    consistency_checked.is_none_or(|at| at.elapsed() >= CONSISTENCY_EVERY);
                // Every call inside has its own timeout, so a hanging member delays one
                // snapshot by seconds at most and never the screen.
                let report = collect_keeping(&sources, consistency.take()).await;
                if sources.consistency {
                    consistency_checked = Some(Instant::now());
                }
                consistency.clone_from(&report.consistency);
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
                effect => perform(effect, app, refresher.as_ref(), tx, stop),
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

/// Whether a plan's runner is still working (quitting waits for its always-run steps); a plan
/// on preview has no runner yet.
fn plan_running(app: &App) -> bool {
    app.wizard
        .as_ref()
        .is_some_and(|w| w.is_running() && !w.previewing)
}

/// Starts the work an effect asks for; its result comes back as a message.
fn perform(
    effect: Effect,
    app: &App,
    refresher: Option<&Refresher>,
    tx: &mpsc::UnboundedSender<Msg>,
    stop: &Interrupt,
) {
    match effect {
        Effect::Quit => {}
        Effect::RefreshNow => {
            if let Some(r) = refresher {
                r.now.notify_one();
            }
        }
        Effect::SetRefreshInterval(every) => {
            if let Some(r) = refresher {
                r.interval.send_replace(every);
            }
        }
        Effect::StartPlan(procedure) => start_plan(procedure, app.connection.clone(), tx.clone()),
        Effect::LoadWorkloads => {
            let tx = tx.clone();
            tokio::spawn(async move {
                let result = crate::gather::app_data::all_workloads().await;
                let _ = tx.send(Msg::Workloads(result));
            });
        }
        Effect::StartAppData(request) => start_app_data(request, tx.clone(), stop.clone()),
        Effect::OpenRestoreForm { disaster_recovery } => {
            let spec = super::guide::restore_form(app, disaster_recovery);
            super::guide_tasks::open_restore_form(spec, tx.clone());
        }
        Effect::OpenJoinForm => super::guide_tasks::open_join_form(
            crate::paths::backups_dir().unwrap_or_default(),
            tx.clone(),
        ),
        Effect::PlanRequest(request) => {
            super::guide_tasks::plan_request(request, app.connection.clone(), tx.clone())
        }
        Effect::PlanPromote { name, client_url } => {
            super::guide_tasks::plan_promote(name, client_url, app.connection.clone(), tx.clone())
        }
        Effect::RunPlan => start_previewed(app, tx.clone(), stop.clone()),
        Effect::Summarize(paths) => super::guide_tasks::summarize(paths, tx.clone()),
        Effect::LoadProjects => super::project_tasks::load_projects(tx.clone()),
        Effect::LoadBackups => super::project_tasks::load_backups(tx.clone()),
        Effect::LoadClusterBackups => super::snapshot_tasks::load_bundles(tx.clone()),
        Effect::LoadSnapshotProjects(bundle) => {
            super::snapshot_tasks::load_projects(bundle, tx.clone())
        }
        Effect::StartSnapshotExport { source, namespace } => start_project_plan(
            async move {
                let out = crate::paths::backups_dir()?.join(crate::paths::stamped("from-backup"));
                crate::gather::snapshot::plan_export(&crate::requests::SnapshotExportRequest {
                    source,
                    namespace,
                    out,
                    accept_unknown_fields: false,
                })
            },
            tx.clone(),
            stop.clone(),
        ),
        Effect::StartProjectExport {
            projects,
            kinds,
            excluded,
        } => start_project_plan(
            crate::gather::project::plan_export_of(projects, kinds, excluded),
            tx.clone(),
            stop.clone(),
        ),
        Effect::StartProjectRestore {
            from,
            rename,
            preview,
        } => start_project_plan(
            async move {
                crate::gather::project::plan_restore(&crate::requests::ProjectRestoreRequest {
                    from,
                    rename,
                    existing: crate::kube::ExistingPolicy::Skip,
                    preview,
                    dry_run: false,
                })
                .await
            },
            tx.clone(),
            stop.clone(),
        ),
    }
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

/// Plans a procedure that asks nothing, for the engineer to read before it runs.
fn start_plan(
    procedure: Procedure,
    connection: Option<ConnectionSettings>,
    tx: mpsc::UnboundedSender<Msg>,
) {
    tokio::spawn(async move {
        let Some(connection) = connection else {
            let _ = tx.send(Msg::PlanFailedToStart(
                "no etcd cluster is configured".into(),
            ));
            return;
        };
        let etcd = Some(connection.target.clone());
        // Shown in full first; the runner starts when the engineer has read it (RunPlan).
        let msg = match plan_with(procedure, connection, Target::Local).await {
            Ok(plan) => Msg::Planned { plan, etcd },
            Err(error) => Msg::PlanFailedToStart(format!("{error:#}")),
        };
        let _ = tx.send(msg);
    });
}

/// Runs the plan the engineer just read in full, confirmed on screen step by step.
fn start_previewed(app: &App, tx: mpsc::UnboundedSender<Msg>, stop: Interrupt) {
    let Some(wizard) = &app.wizard else {
        return;
    };
    let (plan, etcd) = (wizard.plan.clone(), wizard.etcd.clone());
    match crate::paths::state_dir().and_then(|dir| Transcript::open(&dir)) {
        Ok(transcript) => spawn_runner(plan, etcd, transcript, tx, stop),
        Err(error) => {
            let _ = tx.send(Msg::Refused(format!("{error:#}")));
        }
    }
}

/// Finds the pod, plans the application data copy, then runs it confirmed on screen.
fn start_app_data(request: super::AppDataRequest, tx: mpsc::UnboundedSender<Msg>, stop: Interrupt) {
    tokio::spawn(async move {
        let planned = async {
            let transcript = Transcript::open(&crate::paths::state_dir()?)?;
            let plan = crate::gather::app_data::plan_pick(&request).await?;
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
