//! `lifeboat member replace` and `member join`: the flags become a request, the gather layer
//! plans it, and the wizard (or the terminal) runs it.

use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::procedure::run_on_screen_or_headless;
use super::require_connection;
use crate::cli::{ConnectionArgs, MemberCommand};
use crate::procedures::plan_member_join;

pub async fn dispatch(command: MemberCommand, connection: &ConnectionArgs) -> Result<ExitCode> {
    match command {
        MemberCommand::Replace(args) => {
            let connection = require_connection(connection)?;
            let plan =
                crate::gather::member::plan_replace(connection.clone(), &args.request()).await?;
            run_on_screen_or_headless(plan, Some(connection), args.confirm, args.headless).await
        }
        MemberCommand::Join(args) => {
            let facts = crate::gather::member::join_facts(&args.request())?;
            let plan = plan_member_join(&facts);
            run_on_screen_or_headless(plan, Some(facts.connection()), args.confirm, args.headless)
                .await
        }
        MemberCommand::Promote(args) => {
            let connection = require_connection(connection)?;
            let plan = crate::gather::member::plan_promote(
                connection.clone(),
                &args.member,
                args.wait_timeout,
            )
            .await?;
            run_on_screen_or_headless(plan, Some(connection), args.confirm, args.headless).await
        }
    }
}
