//! `lifeboat status`: the dashboard's facts for scripts, with an exit code that says how bad
//! it is (0 healthy, 1 degraded, 2 quorum lost or nothing reachable).

use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr};

use super::require_connection;
use crate::cli::{ConnectionArgs, OutputFormat};
use crate::etcd::{Consistency, ConsistencyReport};
use crate::facts::host::EtcdRuntime;
use crate::health::{HealthReport, HealthSources, MemberHealth, Verdict, collect};
use crate::present::human_bytes;

pub async fn status(args: &ConnectionArgs, output: OutputFormat) -> Result<ExitCode> {
    let connection = require_connection(args)?;
    let report = collect(&HealthSources::discover_on_host(connection)).await;
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).wrap_err("serializing the report")?
        ),
        OutputFormat::Table => print!("{}", render_table(&report)),
    }
    Ok(ExitCode::from(report.verdict.exit_code()))
}

fn bytes(v: i64) -> String {
    human_bytes(v)
}

/// The report as the table `lifeboat status` prints: one section after another.
pub fn render_table(report: &HealthReport) -> String {
    let mut out = String::new();
    verdict_section(&mut out, report);
    members_section(&mut out, report);
    size_section(&mut out, report);
    certificates_section(&mut out, report);
    host_section(&mut out, report);
    line(
        &mut out,
        format!("\nKubernetes: {}", report.kubernetes.describe()),
    );
    out
}

fn line(out: &mut String, text: String) {
    out.push_str(&text);
    out.push('\n');
}

/// The verdict with its reasons, and the quorum arithmetic behind it.
fn verdict_section(out: &mut String, report: &HealthReport) {
    let (word, reasons) = match &report.verdict {
        Verdict::Healthy => ("HEALTHY", &Vec::new()),
        Verdict::Degraded { reasons } => ("DEGRADED", reasons),
        Verdict::QuorumLost { reasons } => ("QUORUM LOST", reasons),
    };
    line(out, format!("{word} (exit {})", report.verdict.exit_code()));
    for reason in reasons {
        line(out, format!("  - {reason}"));
    }
    let q = &report.quorum;
    line(
        out,
        format!(
            "\nQuorum: {}\n  voters {}, healthy {}, majority {}, tolerance now {}, at full strength {}",
            q.verdict(),
            q.voters,
            q.healthy_voters,
            q.majority,
            q.tolerance_now
                .map_or("none".to_string(), |t| t.to_string()),
            q.tolerance_at_full_strength
        ),
    );
}

/// One row per member, then what could not be listed and the raised alarms.
fn members_section(out: &mut String, report: &HealthReport) {
    line(
        out,
        format!(
            "\n{:<17} {:<10} {:<8} {:<8} {:>10} {:>10} {:>6} {:>9} {:>9} {:>5}  {:<26} {:<16} HEALTH",
            "ID",
            "NAME",
            "ROLE",
            "VERSION",
            "DB SIZE",
            "IN USE",
            "TERM",
            "INDEX",
            "APPLIED",
            "LAG",
            "CLIENT URL",
            "HASHKV"
        ),
    );
    for m in &report.members {
        let hash = report
            .consistency
            .as_ref()
            .map_or("-".into(), |c| c.cell(m.id));
        line(out, member_row(m, &hash));
    }
    if let Some(error) = &report.member_list_error {
        line(out, format!("member list unavailable: {error}"));
    }
    for alarm in &report.alarms {
        line(
            out,
            format!("ALARM {} on member {:x}", alarm.alarm, alarm.member_id),
        );
    }
    if let Some(consistency) = &report.consistency {
        line(out, consistency_line(consistency));
    }
}

/// What the members' hashes say, in one line.
fn consistency_line(report: &ConsistencyReport) -> String {
    let verdict = match &report.verdict {
        Consistency::Agree { members } => format!(
            "{members} members hold the same data (hashkv at revision {})",
            report.revision
        ),
        Consistency::Unknown { reason } => format!("not compared: {reason}"),
        Consistency::Disagree { .. } | Consistency::Split { .. } => {
            report.problem().unwrap_or_default()
        }
    };
    format!("Consistency: {verdict}")
}

fn member_row(m: &MemberHealth, hash: &str) -> String {
    let role = if m.is_learner {
        "learner"
    } else if m.is_leader {
        "leader"
    } else if m.healthy {
        "follower"
    } else {
        "-"
    };
    let s = m.status.as_ref();
    format!(
        "{:<17} {:<10} {:<8} {:<8} {:>10} {:>10} {:>6} {:>9} {:>9} {:>5}  {:<26} {:<16} {}",
        format!("{:x}", m.id),
        if m.name.is_empty() {
            "(unstarted)"
        } else {
            &m.name
        },
        role,
        s.map_or("-".into(), |s| s.version.clone()),
        s.map_or("-".into(), |s| bytes(s.db_size)),
        s.map_or("-".into(), |s| bytes(s.db_size_in_use)),
        s.map_or("-".into(), |s| s.raft_term.to_string()),
        s.map_or("-".into(), |s| s.raft_index.to_string()),
        s.map_or("-".into(), |s| s.raft_applied_index.to_string()),
        m.lag.map_or("-".into(), |l| l.to_string()),
        m.client_urls.join(","),
        hash,
        match &m.error {
            None => "healthy".to_string(),
            Some(error) => format!("DOWN: {error}"),
        }
    )
}

/// The database size against its quota and the member-add threshold, with advice.
fn size_section(out: &mut String, report: &HealthReport) {
    let Some(size) = &report.size else {
        return;
    };
    line(
        out,
        format!(
            "\nSize: {} (in use {}), quota {}, member-add threshold {}: {}",
            human_bytes(size.db_size as i64),
            human_bytes(size.db_size_in_use as i64),
            human_bytes(size.quota as i64),
            crate::health::decimal_mb(size.member_add_threshold),
            size.level.describe()
        ),
    );
    for advice in &size.advice {
        line(out, format!("  - {advice}"));
    }
}

fn certificates_section(out: &mut String, report: &HealthReport) {
    line(out, "\nCertificates:".into());
    for cert in &report.certificates {
        match &cert.result {
            Ok(info) => line(
                out,
                format!(
                    "  {:>5} days  {}  (issuer {}; {})  {}",
                    info.days_left,
                    info.subject,
                    info.issuer,
                    info.sans.join(" "),
                    cert.path.display()
                ),
            ),
            Err(error) => line(
                out,
                format!("  unreadable  {}: {error}", cert.path.display()),
            ),
        }
    }
}

/// How etcd runs on this host, and the space left where its data lives.
fn host_section(out: &mut String, report: &HealthReport) {
    line(out, "\nHost:".into());
    for runtime in &report.host.runtimes {
        let text = match runtime {
            EtcdRuntime::Systemd { unit, state } => format!("  systemd unit {unit}: {state}"),
            EtcdRuntime::Container {
                name,
                image,
                status,
            } => format!("  container {name} ({image}): {status}"),
            EtcdRuntime::Process { name, pid, running } => match (pid, running) {
                (Some(pid), true) => format!("  process {name} (pid {pid}): running"),
                _ => format!("  process {name}: stopped"),
            },
        };
        line(out, text);
    }
    for dir in &report.host.data_dirs {
        let text = match dir {
            Ok(space) => format!(
                "  data dir {}: {} free of {}",
                space.path.display(),
                human_bytes(space.free_bytes as i64),
                human_bytes(space.total_bytes as i64)
            ),
            Err(error) => format!("  data dir: {error}"),
        };
        line(out, text);
    }
}
