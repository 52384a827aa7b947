//! The etcd calls of space recovery: compaction, one member's defragmentation (its file's
//! size before and after), alarm disarm and the test write.

use super::StepContext;
use crate::connection::Endpoints;
use crate::etcd;
use crate::exec::OutputStream;
use crate::plan::EtcdCall;
use crate::run::check::ActionResult;
use crate::run::events::RunEvent;
use crate::units::human_bytes;

/// Runs `call` when it is one of space recovery's; `None` for the others.
pub(super) async fn execute(
    ctx: &StepContext<'_>,
    call: &EtcdCall,
    target: &Endpoints,
) -> Option<Result<ActionResult, String>> {
    let said = |line: String| {
        let _ = ctx.events.send(RunEvent::Output {
            index: ctx.index,
            stream: OutputStream::Stdout,
            line,
        });
    };
    let result = match call {
        EtcdCall::Compact => etcd::compact_to_current(target)
            .await
            .map(|revision| format!("compacted to revision {revision}")),
        EtcdCall::Defragment { name, client_url } => {
            said(format!(
                "defragmenting {name} ({client_url}); it answers nothing until done"
            ));
            etcd::defragment(target, client_url).await.map(|sizes| {
                format!(
                    "{name}: {} → {} ({} given back)",
                    human_bytes(sizes.before),
                    human_bytes(sizes.after),
                    human_bytes((sizes.before - sizes.after).max(0))
                )
            })
        }
        EtcdCall::AlarmDisarm => etcd::disarm_alarms(target).await.map(|alarms| {
            if alarms.is_empty() {
                "no alarm was raised".to_string()
            } else {
                let list: Vec<String> = alarms
                    .iter()
                    .map(|a| format!("{} on {}", a.alarm, etcd::format_id(a.member_id)))
                    .collect();
                format!("disarmed {}", list.join(", "))
            }
        }),
        EtcdCall::TestWrite => {
            let value = jiff::Timestamp::now().to_string();
            etcd::test_write(target, &value).await.map(|revision| {
                format!(
                    "{} written at revision {revision} and deleted again",
                    etcd::TEST_WRITE_KEY
                )
            })
        }
        _ => return None,
    };
    Some(match result {
        Ok(summary) => {
            said(summary.clone());
            Ok(ActionResult::Done { summary })
        }
        Err(error) => Err(format!("{error}\n{}", error.hint())),
    })
}
